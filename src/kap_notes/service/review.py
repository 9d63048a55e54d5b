"""Supervisor review: the co-sign queue, co-signing with an attestation, returning with a comment,
and the co-sign rate report."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from kap_notes.model.patient import InvalidInput
from kap_notes.model.people import Role
from kap_notes.records.chart import REVIEW_KIND, NoteView
from kap_notes.records.queue import QueueItem, review_queue, views_of_my_patients

__all__ = ["QueueItem", "cosign", "cosign_rates", "return_note", "review_queue"]
from kap_notes.service.notes import NoteRef
from kap_notes.vault.audit import utc_now
from kap_notes.vault.ids import new_id
from kap_notes.vault.session import Session
from kap_notes.vault.signing import sign_content

#: Clinic setting: the statement a supervisor signs when co-signing (configurable per clinic).
DEFAULT_ATTESTATION = "I have reviewed this note and agree with the documented assessment and plan."


def _review(session: Session, note_id: str, decision: str, text: str, passphrase: str) -> NoteRef:
    session.require_role(Role.SUPERVISOR)
    session.reauthenticate(passphrase)
    record = session.get_record(note_id)
    content = record.content
    if content.get("signature") is None:
        raise InvalidInput(["only signed notes can be co-signed or returned"])
    if content.get("author") == session.user_id:
        raise InvalidInput(["you cannot review your own note"])
    review = {
        "kind": REVIEW_KIND,
        "note": note_id,
        "note_version": record.version,
        "decision": decision,
        "text": text,
        "by": session.user_id,
        "at": utc_now(),
    }
    review_id = new_id("rec")
    signed = sign_content(session, review, review_id, 1, meaning=decision)
    session.put_record(record.patient_id, signed, record_id=review_id, action=decision)
    return NoteRef(review_id, 1)


def cosign(
    session: Session, note_id: str, attestation: str = DEFAULT_ATTESTATION, *, passphrase: str
) -> NoteRef:
    """Co-sign a signed note with the clinic's attestation text, after re-entering the passphrase
    (:class:`~kap_notes.vault.errors.WrongPassphrase` otherwise; nothing is written)."""
    return _review(session, note_id, "cosign", attestation, passphrase)


def return_note(session: Session, note_id: str, comment: str, *, passphrase: str) -> NoteRef:
    """Return a signed note to its author with a comment (passphrase re-entered, as to co-sign);
    they revise and sign again."""
    if not comment.strip():
        raise InvalidInput(["say what needs changing: a returned note needs a comment"])
    return _review(session, note_id, "return", comment, passphrase)


@dataclass(frozen=True)
class CosignRate:
    """Per-therapist co-sign figures."""

    author: str
    signed: int
    cosigned: int
    returned: int
    median_hours_to_cosign: float | None

    @property
    def rate(self) -> float:
        return self.cosigned / self.signed if self.signed else 0.0


def cosign_rates(session: Session) -> list[CosignRate]:
    """How many signed notes each therapist has, and how many were co-signed, and how fast."""
    by_author: dict[str, list[NoteView]] = {}
    for view in views_of_my_patients(session):
        if view.note.signature is not None and not view.is_process_note:
            by_author.setdefault(view.note.author, []).append(view)
    rates = []
    for author, views in sorted(by_author.items()):
        delays = []
        for view in views:
            signed_at = datetime.fromisoformat(str((view.note.signature or {})["signed_at"]))
            firsts = [r for r in view.reviews if r.decision == "cosign"]
            if firsts:
                cosigned_at = datetime.fromisoformat(firsts[0].at)
                delays.append((cosigned_at - signed_at).total_seconds() / 3600)
        rates.append(
            CosignRate(
                author=author,
                signed=len(views),
                cosigned=sum(v.status == "cosigned" for v in views),
                returned=sum(v.status in ("returned", "superseded") for v in views),
                median_hours_to_cosign=statistics.median(delays) if delays else None,
            )
        )
    return rates
