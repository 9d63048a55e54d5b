"""The clinic outcomes notebook as a read-only contents model at ``<vault folder>/outcomes.ipynb``.

Compiled from the de-identified cohort each time it is opened (:mod:`kap_notes.compile.cohort`;
each compile is one ``export`` audit entry), held in memory only: it is never written to disk
and, holding no patient's data, sits under no patient's key. Supervisors and admins only.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kap_notes.model.people import Role
from kap_notes.service import settings as clinic_settings
from kap_notes.vault.session import Session

OUTCOMES = "outcomes.ipynb"
ROLES = (Role.SUPERVISOR, Role.ADMIN)


def is_outcomes(relative: str) -> bool:
    """True for the outcomes notebook's path inside the vault folder."""
    return relative.strip("/") == OUTCOMES


def may_open(session: Session) -> bool:
    return session.role in ROLES


def outcomes_model(
    session: Session, base: dict[str, Any], *, content: bool, require_hash: bool
) -> dict[str, Any]:
    """``base`` (a notebook model) filled with the compiled notebook when asked for."""
    from kap_notes.compile.cohort import outcomes_notebook  # noqa: PLC0415 - pandas, matplotlib

    session.require_role(*ROLES)
    model = {**base, "writable": False}
    if content or require_hash:
        text = outcomes_notebook(session, clinic_settings.current(session).settings)
        if content:
            model["content"] = json.loads(text)
            model["format"] = "json"
        if require_hash:
            model["hash"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
            model["hash_algorithm"] = "sha256"
    return model
