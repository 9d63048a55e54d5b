"""The co-sign queue: signed notes a supervisor has not yet co-signed or returned (a read).

Each row says whose note it is: the patient's name and chart code, the therapist who signed it
(display name and credentials, by the signed log), the note type's title, the session date and
the signing time in the clinic's time zone (a clinic setting), to the minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kap_notes.forms import ClinicSettings
from kap_notes.model.people import Role
from kap_notes.model.times import clinic_time_zone, format_timestamp
from kap_notes.records.chart import NoteView, build_views
from kap_notes.records.derived import definition_of
from kap_notes.vault.session import Session, StoredRecord


@dataclass(frozen=True)
class QueueItem:
    """A signed note waiting for this supervisor's co-signature."""

    patient_id: str
    note_id: str
    version: int
    form: str
    session_date: str | None
    author: str
    #: When the author signed (ISO 8601 UTC, for sorting); ``signed`` is the one people read.
    signed_at: str
    patient_name: str = ""
    chart_code: str = ""
    #: The signing therapist as shown beside signatures: ``Tess Taylor, LCSW``.
    therapist: str = ""
    #: The note type's title from its template, e.g. ``Dosing session``.
    title: str = ""
    #: ``signed_at`` in the clinic's time zone without seconds: ``2026-01-05 05:30 EST``.
    signed: str = ""


@dataclass(frozen=True)
class PatientRecord:
    """One readable patient's profile and notes (one audited read)."""

    patient_id: str
    profile: dict[str, Any]
    views: list[NoteView]

    @property
    def name(self) -> str:
        return str(self.profile.get("name") or "")

    @property
    def chart_code(self) -> str:
        return str(self.profile.get("chart_code") or "")


def read_record(
    session: Session, patient_id: str, *, include_process: bool = False
) -> PatientRecord:
    """One patient's profile and notes (one audited read; ``include_process`` adds the user's
    own psychotherapy process notes)."""
    records = session.read_patient(patient_id, include_process=include_process)
    return _patient_record(patient_id, records, session)


def _patient_record(
    patient_id: str, records: list[StoredRecord], session: Session
) -> PatientRecord:
    profile = next((r.content for r in records if r.record_id == patient_id), {})
    return PatientRecord(patient_id, dict(profile), build_views(records, session.signing_key_of))


def my_patient_records(session: Session, *, include_process: bool = False) -> list[PatientRecord]:
    """Every patient this user holds a key for, with its notes."""
    ids = [pid for pid in session.readable_patients() if session.has_access(pid)]
    read = session.read_patients(ids, include_process=include_process)
    return [_patient_record(pid, records, session) for pid, records in read.items()]


def views_of_my_patients(session: Session) -> list[NoteView]:
    """Every note of every patient this user holds a key for."""
    return [view for record in my_patient_records(session) for view in record.views]


def note_title(view: NoteView) -> str:
    """The title of the template a note was written with (its form name if unknown)."""
    try:
        return definition_of(view.note).title
    except Exception:  # a template no longer installed: the stored name still says what it is
        return view.note.form


def is_waiting_for(view: NoteView, user_id: str) -> bool:
    """True if ``view`` is a signed note (not a process note) ``user_id`` has not reviewed."""
    note = view.note
    mine = [r for r in view.reviews if r.by == user_id and r.note_version == note.version]
    return (
        view.status in ("signed", "cosigned")
        and not mine
        and not view.is_process_note
        and note.author != user_id
    )


def queue_items(session: Session, records: list[PatientRecord], time_zone: str) -> list[QueueItem]:
    """The queue rows of already-read ``records``, oldest signature first."""
    queue = []
    for record in records:
        for view in record.views:
            if not is_waiting_for(view, session.user_id):
                continue
            note = view.note
            signed_at = str((note.signature or {}).get("signed_at", ""))
            queue.append(
                QueueItem(
                    note.patient_id,
                    note.note_id,
                    note.version,
                    note.form,
                    note.session_date,
                    note.author,
                    signed_at,
                    patient_name=record.name,
                    chart_code=record.chart_code,
                    therapist=session.user_label(note.author),
                    title=note_title(view),
                    signed=format_timestamp(signed_at, time_zone),
                )
            )
    return sorted(queue, key=lambda q: q.signed_at)


def review_queue(session: Session, settings: ClinicSettings | None = None) -> list[QueueItem]:
    """Signed notes (not process notes) this supervisor has not yet co-signed or returned."""
    session.require_role(Role.SUPERVISOR)
    if settings is None:
        settings = session.clinic_settings()[0]
    return queue_items(session, my_patient_records(session), clinic_time_zone(settings))
