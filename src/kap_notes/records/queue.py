"""The co-sign queue: signed notes a supervisor has not yet co-signed or returned (a read)."""

from __future__ import annotations

from dataclasses import dataclass

from kap_notes.model.people import Role
from kap_notes.records.chart import NoteView, build_views
from kap_notes.vault.session import Session


@dataclass(frozen=True)
class QueueItem:
    """A signed note waiting for this supervisor's co-signature."""

    patient_id: str
    note_id: str
    version: int
    form: str
    session_date: str | None
    author: str
    signed_at: str


def views_of_my_patients(session: Session) -> list[NoteView]:
    """Every note of every patient this user holds a key for."""
    views: list[NoteView] = []
    for patient_id in session.readable_patients():
        if session.has_access(patient_id):
            views += build_views(session.read_patient(patient_id), session.signing_key_of)
    return views


def review_queue(session: Session) -> list[QueueItem]:
    """Signed notes (not process notes) this supervisor has not yet co-signed or returned."""
    session.require_role(Role.SUPERVISOR)
    queue = []
    for view in views_of_my_patients(session):
        note = view.note
        mine = [
            r for r in view.reviews if r.by == session.user_id and r.note_version == note.version
        ]
        if view.status in ("signed", "cosigned") and not mine and not view.is_process_note:
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
                )
            )
    return sorted(queue, key=lambda q: q.signed_at)
