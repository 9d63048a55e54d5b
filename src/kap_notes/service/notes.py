"""Reading notes: one note, or a patient's notes in session order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kap_notes.model.note import NOTE_KIND, Note
from kap_notes.model.patient import InvalidInput
from kap_notes.service import autosave
from kap_notes.vault.session import Session


@dataclass(frozen=True)
class NoteRef:
    """Where a saved note version lives."""

    note_id: str
    version: int


def note_input(data: Any) -> tuple[str, dict[str, Any]]:
    """Check the shape of note input: ``{"form": "dosing", "answers": {linkId: answer}}``."""
    if not isinstance(data, Mapping):
        raise InvalidInput(['a note is a JSON object like {"form": "dosing", "answers": {...}}'])
    problems = []
    form = data.get("form")
    if not isinstance(form, str) or not form:
        problems.append('form is required (e.g. "dosing")')
    answers = data.get("answers", {})
    if not isinstance(answers, dict):
        problems.append("answers must be an object of {linkId: answer}")
    unknown = sorted(set(data) - {"form", "answers"})
    if unknown:
        problems.append(f'unknown fields: {", ".join(unknown)} (answers go inside "answers")')
    if problems:
        raise InvalidInput(problems)
    return str(form), dict(answers)


def get_note(session: Session, note_id: str, version: int | None = None) -> Note:
    """One note (current version unless ``version``). Its author's own draft comes with what
    they typed since its audited version (the autosave buffer, :mod:`.autosave`)."""
    record = session.get_record(note_id, version)
    if record.content.get("kind") != NOTE_KIND:
        raise InvalidInput([f"{note_id} is not a note"])
    content = record.content
    own_draft = content.get("signature") is None and content.get("author") == session.user_id
    if version is None and own_draft:
        space = session.record_space(note_id)
        buffered = autosave.read(session, space, note_id, record.version)
        content = buffered.content if buffered is not None else content
    return Note.from_record(record.record_id, record.patient_id, record.version, content)


def list_notes(session: Session, patient_id: str) -> list[Note]:
    """Every note of a patient, oldest session first (several may share a date)."""
    notes = [
        Note.from_record(r.record_id, r.patient_id, r.version, r.content)
        for r in session.read_patient(patient_id)
        if r.content.get("kind") == NOTE_KIND
    ]
    return sorted(notes, key=lambda n: (n.session_date or "", n.created_at or "", n.note_id))
