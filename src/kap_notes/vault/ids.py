"""Random ids: the only identifiers stored in plaintext."""

from __future__ import annotations

import uuid

#: The recipient name under which every patient key is also wrapped for emergencies.
BREAK_GLASS = "break-glass"


def new_id(prefix: str) -> str:
    """A random id with a readable prefix, e.g. ``pt_3f2a…``."""
    return f"{prefix}_{uuid.uuid4().hex}"
