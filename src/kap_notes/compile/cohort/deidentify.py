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
from dataclasses import dataclass, field
from typing import Any

from kap_notes.compile.data import PatientData, Row

#: What a generalised (suppressed) quasi-identifier reads as.
SUPPRESSED = "*"
#: Ages are shown in bands; 90 and over is one band (Safe Harbor).
_DECADES = tuple((low, low + 10, f"{low}-{low + 9}") for low in range(30, 90, 10))
AGE_BANDS = ((0, 18, "<18"), (18, 30, "18-29"), *_DECADES)
OLDEST = "90+"


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


def _indication(data: PatientData) -> str:
    """The indication codes of the latest signed preparation note (``+``-joined)."""
    for view in reversed(data.signed_views):
        codes = view.note.answers.get("indication") if view.note.form == "preparation" else None
        if isinstance(codes, str):
            codes = [codes]
        if isinstance(codes, list) and codes:
            return "+".join(sorted(str(c) for c in codes))
    return "unknown"


def _phases(data: PatientData, first: dt.date) -> dict[int, str]:
    """Course phase from each dosing day on (preparation before the first dosing)."""
    phases: dict[int, str] = {}
    for number, row in enumerate(data.dosing, start=1):
        on = _day(row["date"])
        if on is None:
            continue
        said = row["phase"] if row["phase"] in ("induction", "maintenance") else None
        phases[(on - first).days] = said or ("induction" if number <= 6 else "maintenance")
    return phases


def _phase_on(phases: dict[int, str], day: int) -> str:
    before = [d for d in phases if d <= day]
    return phases[max(before)] if before else "preparation"


def deidentify(data: PatientData) -> Course | None:
    """The patient's signed course without identifiers; None without a dated signed note."""
    dated = [(_day(v.note.session_date), v) for v in data.signed_views]
    dated = [(on, v) for on, v in dated if on is not None]
    if not dated:
        return None
    first = min(on for on, _ in dated if on is not None)
    routes = Counter(str(r["route"]) for r in data.dosing if r["route"])
    course = Course(
        age_band=age_band(data.patient.date_of_birth, first),
        sex=data.patient.sex or "unknown",
        indication=_indication(data),
        route="+".join(sorted(routes)) or "none",
        phase=data.phase,
    )
    phases = _phases(data, first)
    dosing = {row["note_id"]: row for row in data.dosing}
    for on, view in sorted(dated, key=lambda pair: (pair[0], pair[1].note.form)):
        day = (on - first).days if on is not None else 0
        row = dosing.get(view.note.note_id)
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
    for series in data.outcomes:
        for point in series.points:
            on = _day(point.date)
            if on is None:
                continue
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
    for event in data.adverse_events:
        on = _day(event["date"])
        if on is None:
            continue
        row = dosing.get(event["note_id"])
        course.adverse_events.append(
            {
                "day": (on - first).days,
                "route": row["route"] if row else None,
                "event": event["event"],
                "severity": event["severity"] or None,
                "serious": event["serious"],
                "resolved": event["resolved"],
            }
        )
    return course
