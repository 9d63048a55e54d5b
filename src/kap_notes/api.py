"""The small public API a Jupyter kernel uses to reach the unlocked vault.

Today the session is set in-process with :func:`use_session` (CLI, tests, a kernel that
unlocked the vault itself). A later issue replaces :func:`current_session` alone with a client
of the server-side agent; everything else here goes through it.
"""

from __future__ import annotations

import pandas as pd

from kap_notes.compile import frames, load_patient_data
from kap_notes.compile.overview import OVERVIEW_SECTIONS, gather_overview, overview_outputs
from kap_notes.compile.sections import SECTIONS
from kap_notes.vault.errors import VaultLocked
from kap_notes.vault.session import Session

__all__ = ["current_session", "patient_frames", "show", "show_overview", "use_session"]

_session: Session | None = None


def use_session(session: Session | None) -> None:
    """Make ``session`` the one this process's API calls use (``None`` forgets it)."""
    global _session  # noqa: PLW0603 - one unlocked user per kernel, by design
    _session = session


def current_session() -> Session:
    """The unlocked session, or :class:`VaultLocked` saying how to unlock."""
    if _session is None or _session.locked:
        raise VaultLocked(
            "the vault is locked: unlock it in JupyterLab (or call "
            "kap_notes.api.use_session(...) with an unlocked session), then run this cell again"
        )
    return _session


def patient_frames(patient_id: str) -> dict[str, pd.DataFrame]:
    """One patient's scores, dosing, vitals, adverse_events, flags and notes as DataFrames."""
    return frames.patient_frames(load_patient_data(current_session(), patient_id))


def _publish(outputs: list[dict[str, object]]) -> None:
    from IPython.display import publish_display_data  # noqa: PLC0415 - only inside a kernel

    for output in outputs:
        publish_display_data(output["data"], output.get("metadata"))  # type: ignore[no-untyped-call]


def show(patient_id: str, section: str) -> None:
    """Display one progress-notebook section with current data (what the compiled cell shows)."""
    if section not in SECTIONS:
        raise ValueError(f"unknown section {section!r}; choose one of: {', '.join(SECTIONS)}")
    _, render = SECTIONS[section]
    _publish(render(load_patient_data(current_session(), patient_id)))


def show_overview(section: str) -> None:
    """Display one clinic-overview section with current data."""
    if section not in OVERVIEW_SECTIONS:
        raise ValueError(
            f"unknown section {section!r}; choose one of: {', '.join(OVERVIEW_SECTIONS)}"
        )
    _publish(overview_outputs(gather_overview(current_session()), section))
