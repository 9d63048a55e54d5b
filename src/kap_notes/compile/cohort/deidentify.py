"""One patient's signed course with every identifier removed (HIPAA Safe Harbor).

What leaves a patient's record: an age band as of the first session (90 and over grouped), sex,
indication codes, routes and phase; per signed note its form and day; instrument totals with
what each instrument's published rule says (:mod:`kap_notes.records.outcomes`); dosing route,
dose and mg/kg as frozen at signing; adverse events by type, severity, seriousness.
Never: names, contact details, dates of birth, chart codes, record ids, calendar dates, free text.
Every date becomes days since the patient's first signed session.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kap_notes.compile.data import INDUCTION_SESSIONS, PatientData, Row
from kap_notes.compile.values import as_number
from kap_notes.forms import ClinicSettings
from kap_notes.model.patient import Patient
from kap_notes.records.chart import NoteView
from kap_notes.records.derived import frozen_values, instrument_totals
from kap_notes.records.display import form_answer
from kap_notes.records.outcomes import (
    CHARTED_INSTRUMENTS,
    Series,
    in_signed_record,
    series_for,
)

#: What a generalised (suppressed) quasi-identifier reads as.
SUPPRESSED = "*"
#: Ages are shown in bands; 90 and over is one band (Safe Harbor).
_DECADES = tuple((low, low + 10, f"{low}-{low + 9}") for low in range(30, 90, 10))
AGE_BANDS = ((0, 18, "<18"), (18, 30, "18-29"), *_DECADES)
OLDEST = "90+"
#: Only for the phase rule (:attr:`PatientData.phase` reads no setting); built once.
_SETTINGS = ClinicSettings()


@dataclass
class Course:
    """A de-identified course, before it gets a study id and small cells are suppressed."""

    age_band: str
    sex: str
    indication: str
    route: str
    phase: str
    sessions: list[Row] = field(default_factory=list)
    scores: list[Row] = field(default_factory=list)
    adverse_events: list[Row] = field(default_factory=list)

    @property
    def quasi(self) -> dict[str, str]:
        """The quasi-identifiers small-cell suppression looks at."""
        return {
            "age_band": self.age_band,
            "sex": self.sex,
            "indication": self.indication,
            "route": self.route,
        }


def age_band(born: str, on: dt.date) -> str:
    """The band of the age in whole years on ``on`` (``unknown`` without a date of birth)."""
    try:
        birth = dt.date.fromisoformat(born[:10])
    except ValueError:
        return "unknown"
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return next((label for low, high, label in AGE_BANDS if low <= age < high), OLDEST)


def _day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _indication(signed: list[NoteView]) -> str:
    """The indication codes of the latest signed preparation note (``+``-joined)."""
    for view in reversed(signed):
        codes = view.note.answers.get("indication") if view.note.form == "preparation" else None
        if isinstance(codes, str):
            codes = [codes]
        if isinstance(codes, list) and codes:
            return "+".join(sorted(str(c) for c in codes))
    return "unknown"


@lru_cache(maxsize=512)
def _shown(link_id: str, code: str) -> str:
    """A dosing-form choice as every view shows it (:func:`records.display.form_answer`)."""
    return form_answer("dosing", link_id, code)


def _dosing_row(view: NoteView) -> Row:
    """A signed dosing note's route, phase, dose and mg/kg (as frozen at signing)."""
    answers = view.note.answers
    frozen = frozen_values(view.note)
    route = answers.get("route")
    return {
        "date": view.note.session_date,
        "note_id": view.note.note_id,
        "route": _shown("route", str(route)) if route else None,
        "phase": answers.get("session_phase"),
        "dose_mg": as_number(answers.get("dose_mg")),
        "dose_mg_per_kg": as_number(frozen.computed.get("dose_mg_per_kg")) if frozen else None,
    }


def _phases(dosing: list[Row], first: dt.date) -> dict[int, str]:
    """Course phase from each dosing day on (preparation before the first dosing)."""
    phases: dict[int, str] = {}
    for number, row in enumerate(dosing, start=1):
        on = _day(row["date"])
        if on is None:
            continue
        said = row["phase"] if row["phase"] in ("induction", "maintenance") else None
        phases[(on - first).days] = said or (
            "induction" if number <= INDUCTION_SESSIONS else "maintenance"
        )
    return phases


def _phase_on(phases: dict[int, str], day: int) -> str:
    before = [d for d in phases if d <= day]
    return phases[max(before)] if before else "preparation"


def deidentify(patient: Patient, views: list[NoteView]) -> Course | None:
    """The patient's signed course without identifiers; None without a dated signed note."""
    signed = [v for v in views if in_signed_record(v)]
    dated = [(on, v) for v in signed if (on := _day(v.note.session_date)) is not None]
    if not dated:
        return None
    first = min(on for on, _ in dated)
    dosing = [_dosing_row(v) for v in signed if v.note.form == "dosing"]
    routes = Counter(str(r["route"]) for r in dosing if r["route"])
    phase = PatientData("", patient, [], _SETTINGS, dosing=dosing).phase  # the one rule
    course = Course(
        age_band=age_band(patient.date_of_birth, first),
        sex=patient.sex or "unknown",
        indication=_indication(signed),
        route="+".join(sorted(routes)) or "none",
        phase=phase,
    )
    phases = _phases(dosing, first)
    by_note = {row["note_id"]: row for row in dosing}
    for on, view in sorted(dated, key=lambda pair: (pair[0], pair[1].note.form)):
        day = (on - first).days
        row = by_note.get(view.note.note_id)
        course.sessions.append(
            {
                "day": day,
                "form": view.note.form,
                "phase": _phase_on(phases, day),
                "route": row["route"] if row else None,
                "dose_mg": row["dose_mg"] if row else None,
                "mg_per_kg": row["dose_mg_per_kg"] if row else None,
            }
        )
        if row is not None:
            course.adverse_events += _events(view, day, row["route"])
    for series in instrument_series(signed):
        for point in series.points:
            if (on := _day(point.date)) is not None:
                course.scores.append(
                    {
                        "day": (on - first).days,
                        "instrument": series.instrument,
                        "total": point.total,
                        "change_pct": point.change_pct,
                        "response": point.response,
                        "remission": point.remission,
                    }
                )
    return course


def instrument_series(signed: list[NoteView]) -> list[Series]:
    """Each charted instrument's series, from the notes that scored it (same baseline and
    points as from every note; each note's totals are read once, not once per instrument)."""
    scoring: dict[str, list[NoteView]] = {}
    for view in signed:
        for key in instrument_totals(view.note):
            scoring.setdefault(key, []).append(view)
    return [series_for(key, scoring[key]) for key in CHARTED_INSTRUMENTS if key in scoring]


def _events(view: NoteView, day: int, route: str | None) -> list[Row]:
    """A dosing note's adverse events: type, severity, serious, resolved (no free text)."""
    rows = view.note.answers.get("adverse_events") or []
    return [
        {
            "day": day,
            "route": route,
            "event": _shown("ae_type", str(e.get("ae_type"))),
            "severity": _shown("ae_severity", str(e["ae_severity"]))
            if e.get("ae_severity")
            else None,
            "serious": e.get("ae_serious"),
            "resolved": e.get("ae_resolved"),
        }
        for e in rows
        if isinstance(e, Mapping)
    ]
