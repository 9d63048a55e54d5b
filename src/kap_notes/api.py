"""The small public API a Jupyter kernel uses to reach the unlocked vault.

In a kernel started by JupyterLab every call goes to the server's key agent (the kernel never
holds a key, and locking in JupyterLab locks it too). Scripts and tests that unlocked the vault
themselves hand their session over with :func:`use_session` instead; both paths run the same
operations (:mod:`kap_notes.service.operations`).
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pandas as pd

from kap_notes.agent.client import default_backend
from kap_notes.service.backend import Backend
from kap_notes.vault.errors import VaultLocked
from kap_notes.vault.session import Session

__all__ = ["cohort", "current_session", "patient_frames", "show", "show_overview", "use_session"]

_session: Session | None = None


def use_session(session: Session | None) -> None:
    """Make ``session`` the one this process's API calls use (``None`` forgets it)."""
    global _session  # noqa: PLW0603 - one unlocked user per kernel, by design
    _session = session


def current_session() -> Session:
    """The in-process unlocked session, or :class:`VaultLocked` saying how to unlock."""
    if _session is None or _session.locked:
        raise VaultLocked(
            "the vault is locked: unlock it in JupyterLab (or call "
            "kap_notes.api.use_session(...) with an unlocked session), then run this cell again"
        )
    return _session


def _backend() -> Backend:
    """The in-process session if one was handed over, else the JupyterLab server's agent."""
    return default_backend(current_session() if _session is not None else None)


def patient_frames(patient_id: str) -> dict[str, pd.DataFrame]:
    """One patient's scores, dosing, vitals, adverse_events, flags and notes as DataFrames."""
    raw: dict[str, str] = _backend().call("patient_frames", patient_id=patient_id)
    return {name: pd.read_json(StringIO(text), orient="split") for name, text in raw.items()}


def cohort() -> dict[str, pd.DataFrame]:
    """The de-identified cohort of the patients you may read, as DataFrames: ``patients``,
    ``sessions``, ``scores`` and ``adverse_events`` (supervisors and admins; audited as an
    export). Patients are keyed by random study ids, new for every call; small groups are
    suppressed (clinic setting ``cohort_min_cell``)."""
    raw: dict[str, str] = _backend().call("cohort_frames")
    return {name: pd.read_json(StringIO(text), orient="split") for name, text in raw.items()}


def _publish(outputs: list[dict[str, Any]]) -> None:
    from IPython.display import publish_display_data  # noqa: PLC0415 - only inside a kernel

    for output in outputs:
        publish_display_data(output["data"], output.get("metadata"))  # type: ignore[no-untyped-call]


def show(patient_id: str, section: str) -> None:
    """Display one progress-notebook section with current data (what the compiled cell shows)."""
    _publish(_backend().call("render_section", patient_id=patient_id, section=section))


def show_overview(section: str) -> None:
    """Display one clinic-overview section with current data."""
    _publish(_backend().call("render_overview_section", section=section))
