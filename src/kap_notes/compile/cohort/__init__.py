"""De-identified cohort and the clinic outcomes notebook (issue 15).

- :func:`build_cohort` → :class:`Cohort`: patients, sessions, scores and adverse_events
  DataFrames of every patient a supervisor or admin may read (Safe Harbor, small cells
  suppressed; one ``export`` audit entry);
- :func:`write_cohort`: the CSV files and README.txt;
- :func:`outcomes_notebook`: the outcomes notebook JSON (deterministic; held in memory only).
"""

from __future__ import annotations

from kap_notes.compile.cells import validated_json
from kap_notes.compile.cohort.frames import TABLES, Cohort, build_cohort
from kap_notes.compile.cohort.readme import write_cohort
from kap_notes.forms import ClinicSettings
from kap_notes.vault.session import Session


def outcomes_notebook(session: Session, settings: ClinicSettings | None = None) -> str:
    """The clinic outcomes notebook (JSON) of the cohort this user may build."""
    from kap_notes.compile.cohort.notebook import build_outcomes  # noqa: PLC0415

    return validated_json(build_outcomes(build_cohort(session, settings)))


__all__ = ["TABLES", "Cohort", "build_cohort", "outcomes_notebook", "write_cohort"]
