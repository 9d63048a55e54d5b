"""Use cases for notes: save a draft, read one, list a patient's notes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from kap_notes.model.note import NOTE_KIND, Note
from kap_notes.model.patient import InvalidInput
from kap_notes.vault.audit import utc_now
from kap_notes.vault.session import Session


@dataclass(frozen=True)
class NoteRef:
    """Where a saved note version lives."""

    note_id: str
    version: int


def note_from_input(session: Session, data: Mapping[str, Any]) -> Note:
    """Check the shape of note input (``form``, ``answers``, optional ``session_date``)."""
    problems = []
    form = data.get("form")
    if not isinstance(form, str) or not form:
        problems.append('form is required (e.g. "dosing")')
    answers = data.get("answers", {})
    if not isinstance(answers, dict):
        problems.append("answers must be an object of {linkId: answer}")
    session_date = data.get("session_date")
    if session_date is not None and not isinstance(session_date, str):
        problems.append("session_date must be a date like 2026-03-07")
    if problems:
        raise InvalidInput(problems)
    return Note(
        note_id="",
        patient_id="",
        version=0,
        form=str(form),
        answers=dict(answers),
        author=session.user_id,
        session_date=session_date,
    )


def put_note(
    session: Session,
    patient_id: str,
    data: Mapping[str, Any],
    *,
    note_id: str | None = None,
    expected_version: int | None = None,
) -> NoteRef:
    """Save a draft note (new, or a new version of an existing draft)."""
    note = note_from_input(session, data)
    now = utc_now()
    created = now
    if note_id is not None:
        created = get_note(session, note_id).created_at or now
    note = replace(note, created_at=created, updated_at=now)
    record_id, version = session.put_record(
        patient_id, note.to_record(), record_id=note_id, expected_version=expected_version
    )
    return NoteRef(record_id, version)


def get_note(session: Session, note_id: str, version: int | None = None) -> Note:
    """One note (current version unless ``version``)."""
    record = session.get_record(note_id, version)
    if record.content.get("kind") != NOTE_KIND:
        raise InvalidInput([f"{note_id} is not a note"])
    return Note.from_record(record.record_id, record.patient_id, record.version, record.content)


def list_notes(session: Session, patient_id: str) -> list[Note]:
    """Every note of a patient, oldest session first (several may share a date)."""
    notes = [
        Note.from_record(r.record_id, r.patient_id, r.version, r.content)
        for r in session.read_patient(patient_id)
        if r.content.get("kind") == NOTE_KIND
    ]
    return sorted(notes, key=lambda n: (n.session_date or "", n.created_at or "", n.note_id))
