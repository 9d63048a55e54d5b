"""People who use kap-notes and what they may do."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(str, enum.Enum):
    """A user's role. Admins manage users but read no notes unless granted."""

    THERAPIST = "therapist"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


@dataclass(frozen=True)
class User:
    """A user as others see them: never any secret."""

    user_id: str
    name: str
    role: Role


def person_label(name: str, display_name: str | None = None, credentials: str | None = None) -> str:
    """How a person is shown beside a signature: ``Tess Taylor, LCSW`` (their user name when no
    display name is set)."""
    shown = (display_name or "").strip() or name
    extra = (credentials or "").strip()
    return f"{shown}, {extra}" if extra else shown
