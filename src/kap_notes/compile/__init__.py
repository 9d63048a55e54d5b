"""kap_notes.compile: deterministic progress and overview notebooks, stored encrypted.

Imports neither ipywidgets nor jupyter_server. Public names:

- :func:`compile_patient` / :func:`read_compiled` / :class:`CompileResult`: a patient's progress
  notebook, stored as an encrypted record of that patient and rebuilt only when notes change;
- :func:`progress_notebook` / :func:`overview_notebook`: notebook JSON without storing it;
- :func:`load_patient_data` / :func:`patient_frames`: the rows and DataFrames behind them.
"""

from __future__ import annotations

from kap_notes.compile.cells import validated_json
from kap_notes.compile.compiled import (
    NOTEBOOK_KIND,
    CompileResult,
    compile_patient,
    load_patient_data,
    read_compiled,
)
from kap_notes.compile.data import PatientData
from kap_notes.compile.frames import patient_frames
from kap_notes.compile.overview import build_overview
from kap_notes.forms import ClinicSettings
from kap_notes.vault.session import Session


def overview_notebook(session: Session, settings: ClinicSettings | None = None) -> str:
    """The clinic overview notebook (JSON) for the session's user; not stored."""
    return validated_json(build_overview(session, settings))


__all__ = [
    "NOTEBOOK_KIND",
    "CompileResult",
    "PatientData",
    "compile_patient",
    "load_patient_data",
    "overview_notebook",
    "patient_frames",
    "read_compiled",
]
