"""My day: what waits for the unlocked user (a read over every patient they can open).

- **Drafts to finish** — their own drafts started less than 24 h ago;
- **Unsigned after 24 h** — their own drafts started 24 h ago or more;
- **Returned to you** — their signed notes a supervisor returned (until revised);
- **Integrations due** — signed dosing sessions (their own, or of patients they treat) with no
  integration note yet, due within the clinic setting ``integration_max_days_after_dosing``;
- **Spravato REMS incomplete** — their Spravato dosing notes whose REMS monitoring fields are
  not all filled (such a note cannot be signed);
- **Waiting for your co-signature** — supervisors: the review queue.

It only lists; thresholds are clinic settings and nothing here is clinical advice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from kap_notes.forms import ClinicSettings, validate
from kap_notes.model.people import Role
from kap_notes.model.times import (
    clinic_time_zone,
    format_timestamp,
    parse_date,
    parse_timestamp,
    zone,
)
from kap_notes.records.chart import NoteView
from kap_notes.records.derived import definition_of
from kap_notes.records.queue import PatientRecord, my_patient_records, note_title, queue_items
from kap_notes.vault.session import Session

#: A draft still unsigned this long after it was started is listed apart.
UNSIGNED_AFTER = dt.timedelta(hours=24)
#: The template group of the Spravato REMS monitoring fields (all required before signing).
REMS_GROUP = "rems"

SECTIONS = {
    "drafts": "Drafts to finish",
    "returned": "Returned to you",
    "integrations": "Integrations due",
    "unsigned": "Unsigned after 24 h",
    "rems": "Spravato REMS incomplete",
    "cosign": "Waiting for your co-signature",
}


@dataclass(frozen=True)
class DayItem:
    """One thing to do: the note (or, for an integration due, the dosing note) it is about."""

    section: str
    patient_id: str
    chart_code: str
    patient_name: str
    note_id: str
    version: int
    form: str
    title: str
    session_date: str | None
    detail: str
    #: What the panel offers: ``continue``, ``revise``, ``integration`` (a new one), ``review``.
    action: str
    #: Integrations: the last day within the clinic setting, and whether it has passed.
    due: str = ""
    overdue: bool = False


@dataclass(frozen=True)
class DaySection:
    key: str
    title: str
    items: list[DayItem] = field(default_factory=list)


@dataclass(frozen=True)
class MyDay:
    user: str
    role: str
    #: Today in the clinic's time zone (``YYYY-MM-DD``).
    today: str
    sections: list[DaySection]


def _item(record: PatientRecord, view: NoteView, section: str, detail: str, action: str) -> DayItem:
    note = view.note
    return DayItem(
        section,
        record.patient_id,
        record.chart_code,
        record.name,
        note.note_id,
        note.version,
        note.form,
        note_title(view),
        note.session_date,
        detail,
        action,
    )


def rems_incomplete(view: NoteView) -> bool:
    """True for a dosing draft whose template requires a REMS group that is not all filled."""
    if view.note.form != "dosing" or view.status != "draft":
        return False
    definition = definition_of(view.note)
    if not any(r.group == REMS_GROUP for r in definition.signing_requires):
        return False
    issues = validate(definition, view.note.answers).issues
    return any(i.kind == "signing" and i.link_id == REMS_GROUP for i in issues)


def _own_notes(
    session: Session, record: PatientRecord, now: dt.datetime, time_zone: str
) -> list[DayItem]:
    items: list[DayItem] = []
    for view in record.views:
        note = view.note
        if note.author != session.user_id:
            continue
        if view.status == "draft":
            started = parse_timestamp(note.created_at)
            late = started is not None and now - started >= UNSIGNED_AFTER
            when = format_timestamp(note.created_at, time_zone)
            section = "unsigned" if late else "drafts"
            items.append(_item(record, view, section, f"Started {when}", "continue"))
        elif view.status == "returned":
            comment = next((r.text for r in reversed(view.reviews) if r.decision == "return"), "")
            by = next((r.by for r in reversed(view.reviews) if r.decision == "return"), "")
            detail = f"Returned by {session.user_label(by)}: {comment}"
            items.append(_item(record, view, "returned", detail, "revise"))
        if rems_incomplete(view):
            detail = "Spravato REMS monitoring fields are not all filled"
            items.append(_item(record, view, "rems", detail, "continue"))
    return items


def _revises(view: NoteView) -> str | None:
    revises = view.note.extra.get("revises")
    return str(revises.get("note")) if isinstance(revises, Mapping) else None


def covered_dosing_notes(views: list[NoteView]) -> set[str]:
    """Ids of dosing notes an integration note (draft or signed) already belongs to: the one it
    names, else the latest signed dosing note on or before its date (the linking rule)."""
    dosing = sorted(
        (v for v in views if v.note.form == "dosing" and v.note.signature is not None),
        key=lambda v: v.note.session_date or "",
    )
    covered: set[str] = set()
    for view in views:
        if view.note.form != "integration" or view.status == "superseded":
            continue
        linked = view.note.answers.get("linked_dosing_note_id")
        if linked:
            covered.add(str(linked))
            continue
        day = view.note.session_date or ""
        before = [d for d in dosing if (d.note.session_date or "") <= day] if day else []
        if before:
            covered.add(before[-1].note.note_id)
    # A revision stands for the note it revises (and the other way round).
    for view in dosing:
        original = _revises(view)
        if original and (original in covered or view.note.note_id in covered):
            covered |= {original, view.note.note_id}
    return covered


def _integrations_due(
    session: Session, record: PatientRecord, today: dt.date, max_days: int
) -> list[DayItem]:
    treating = session.patient(record.patient_id).owner_id == session.user_id
    covered = covered_dosing_notes(record.views)
    items = []
    for view in record.views:
        note = view.note
        if note.form != "dosing" or note.signature is None or view.status == "superseded":
            continue
        if note.note_id in covered or not (treating or note.author == session.user_id):
            continue
        day = parse_date((note.session_date or "")[:10])
        if day is None:
            continue
        due = day + dt.timedelta(days=max_days)
        overdue = today > due
        when = "was due by" if overdue else "due by"
        detail = (
            f"Dosing session {day.isoformat()}: integration {when} {due.isoformat()} "
            f"(clinic setting: {max_days} days)"
        )
        item = _item(record, view, "integrations", detail, "integration")
        items.append(replace(item, due=due.isoformat(), overdue=overdue))
    return items


def my_day(session: Session, settings: ClinicSettings, now: dt.datetime | None = None) -> MyDay:
    """What waits for the unlocked user now (``now``: for tests; aware UTC)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    time_zone = clinic_time_zone(settings)
    today = now.astimezone(zone(time_zone)).date()
    records = my_patient_records(session, include_process=True)
    found: list[DayItem] = []
    for record in records:
        found += _own_notes(session, record, now, time_zone)
        found += _integrations_due(
            session, record, today, int(settings.integration_max_days_after_dosing)
        )
    if session.role == Role.SUPERVISOR:
        for q in queue_items(session, records, time_zone):
            detail = f"By {q.therapist}, signed {q.signed}"
            found.append(
                DayItem(
                    "cosign",
                    q.patient_id,
                    q.chart_code,
                    q.patient_name,
                    q.note_id,
                    q.version,
                    q.form,
                    q.title,
                    q.session_date,
                    detail,
                    "review",
                )
            )
    sections = [
        DaySection(key, title, [i for i in found if i.section == key])
        for key, title in SECTIONS.items()
        if key != "cosign" or session.role == Role.SUPERVISOR
    ]
    for section in sections:
        section.items.sort(key=lambda i: (i.due or i.session_date or "", i.chart_code))
    return MyDay(
        session.user_label(session.user_id), session.role.value, today.isoformat(), sections
    )
