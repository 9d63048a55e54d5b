"""Writing the cohort: four CSV files and a README.txt saying what was removed and suppressed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kap_notes.compile.cohort.frames import Cohort

REMOVED = (
    "Removed (HIPAA Safe Harbor): names, contact details, dates of birth, chart codes, record "
    "and note ids, every calendar date, and all free text (narratives, intentions, insights, "
    "interventions, comments, addenda). Psychotherapy process notes are never included; only "
    "signed notes, with values as frozen at signing."
)
KEYS = (
    "Patients are keyed by a random study id, new for every export. Ages are 10-year bands as "
    "of the first session (90 and over grouped as 90+). Every date is days since that "
    "patient's first signed session (day 0)."
)


def summary_lines(cohort: Cohort, *, with_ids: bool = True) -> list[str]:
    """What de-identification did, one line each (README.txt and the notebook header)."""
    generalised = ", ".join(f"{name} {n}" for name, n in cohort.generalised.items()) or "none"
    lines = [
        f"Patients read: {cohort.patients_read}; without a dated signed note: "
        f"{cohort.without_sessions}; in the cohort: {len(cohort.frames['patients'])}.",
        f"k = {cohort.k} (clinic setting cohort_min_cell): every combination of age band, sex, "
        "indication and route describes at least k patients.",
        f"Values generalised to '*' to reach k: {generalised}.",
        f"Patients left out because no generalisation reached k: {cohort.dropped}.",
    ]
    return [*lines, KEYS] if with_ids else lines


def readme_text(cohort: Cohort) -> str:
    lines = ["De-identified KAP cohort (clinic quality data, not clinical advice)", "", REMOVED]
    lines += ["", *summary_lines(cohort), ""]
    lines += [f"{name}.csv: {', '.join(frame.columns)}" for name, frame in cohort.frames.items()]
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def write_cohort(cohort: Cohort, out: str | Path) -> list[Path]:
    """Write ``<table>.csv`` for each table and ``README.txt`` into ``out`` (created, 0700)."""
    folder = Path(out)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    written = []
    for name, frame in cohort.frames.items():
        written.append(folder / f"{name}.csv")
        _write(written[-1], frame.to_csv(index=False))
    written.append(folder / "README.txt")
    _write(written[-1], readme_text(cohort))
    return written
