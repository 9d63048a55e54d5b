"""The de-identified cohort as four DataFrames: patients, sessions, scores, adverse_events.

Built from every patient the user may read (one audited read each), signed notes only with
values as frozen at signing, process notes never. Each patient gets a random study id that is
new for every cohort built; small cells are suppressed (:mod:`.suppress`).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kap_notes.compile.cohort.deidentify import SUPPRESSED, Course, deidentify
from kap_notes.compile.cohort.suppress import QUASI_IDENTIFIERS, Suppression, suppress
from kap_notes.forms import ClinicSettings
from kap_notes.model.patient import Patient
from kap_notes.model.people import Role
from kap_notes.records.chart import build_views
from kap_notes.vault.session import Session, StoredRecord

TABLES = ("patients", "sessions", "scores", "adverse_events")
COLUMNS = {
    "patients": ["study_id", "age_band", "sex", "indication", "route", "phase"],
    "sessions": ["study_id", "day", "form", "phase", "route", "dose_mg", "mg_per_kg"],
    "scores": ["study_id", "day", "instrument", "total", "change_pct", "response", "remission"],
    "adverse_events": ["study_id", "day", "route", "event", "severity", "serious",
                       "resolved"],
}  # fmt: skip
#: Who may build a cohort (clinic quality data for supervisors and clinic directors).
ROLES = (Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True)
class Cohort:
    """The four tables and what de-identification did to get them."""

    frames: dict[str, pd.DataFrame]
    k: int
    patients_read: int
    without_sessions: int
    generalised: dict[str, int] = field(default_factory=dict)
    dropped: int = 0

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]


def _study_ids(n: int) -> list[str]:
    ids: set[str] = set()
    while len(ids) < n:
        ids.add(f"S{secrets.token_hex(5).upper()}")
    return sorted(ids)  # random ids, so sorted order says nothing about who is who


def assemble(courses: Sequence[Course], k: int, patients_read: int | None = None) -> Cohort:
    """Suppress small cells among ``courses`` and key the rest by fresh random study ids."""
    report: Suppression = suppress([c.quasi for c in courses], k)
    kept = [(courses[i], report.released[i]) for i in sorted(report.released)]
    order = list(range(len(kept)))
    secrets.SystemRandom().shuffle(order)
    ids = _study_ids(len(kept))
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    for study_id, index in zip(ids, order, strict=True):
        course, released = kept[index]
        rows["patients"].append({"study_id": study_id, **released, "phase": course.phase})
        hide_route = released["route"] == SUPPRESSED
        for table in ("sessions", "scores", "adverse_events"):
            for row in getattr(course, table):
                shown = {"study_id": study_id, **row}
                if hide_route and shown.get("route") is not None:
                    shown["route"] = SUPPRESSED
                rows[table].append(shown)
    frames = {name: pd.DataFrame(rows[name], columns=COLUMNS[name]) for name in TABLES}
    for name in ("sessions", "scores", "adverse_events"):
        frames[name] = frames[name].sort_values(["study_id", "day"], kind="stable")
        frames[name] = frames[name].reset_index(drop=True)
    read = len(courses) if patients_read is None else patients_read
    return Cohort(
        frames, k, read, read - len(courses), {q: report.generalised.get(q, 0) for q in
        QUASI_IDENTIFIERS}, report.dropped,
    )  # fmt: skip


def read_cohort(session: Session) -> dict[str, list[StoredRecord]]:
    """Every readable patient's records (one ``read`` audit entry each, written together;
    process notes never read)."""
    session.require_role(*ROLES)
    patient_ids = [p for p in session.readable_patients() if session.has_access(p)]
    return session.read_patients(patient_ids, keep=False)  # a whole clinic: keep nothing


def course_of(session: Session, patient_id: str, records: list[StoredRecord]) -> Course | None:
    """One patient's de-identified course from their records (None without a signed note)."""
    profile = next(r for r in records if r.record_id == patient_id)
    views = [v for v in build_views(records, session.signing_key_of) if not v.is_process_note]
    return deidentify(Patient.from_record(profile.content), views)


def gather_courses(session: Session) -> tuple[list[Course], int]:
    """Every readable patient's de-identified course, and how many patients were read."""
    read = read_cohort(session)
    found = (course_of(session, pid, records) for pid, records in read.items())
    return [course for course in found if course is not None], len(read)


def build_cohort(session: Session, settings: ClinicSettings | None = None) -> Cohort:
    """The de-identified cohort of the patients this supervisor or admin may read (audited as
    one ``export``; :class:`~kap_notes.vault.errors.NotAuthorised` for anyone else)."""
    settings = settings or session.clinic_settings()[0]
    courses, read = gather_courses(session)
    cohort = assemble(courses, settings.cohort_min_cell, read)
    session.log("export")
    return cohort
