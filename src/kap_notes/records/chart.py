"""A patient's chart: every note with its status, signature check, addenda and reviews.

Status is derived, never stored: a note is ``draft`` until signed; a signed note is ``signed``
(awaiting co-sign), ``cosigned`` once a supervisor co-signs that version, ``returned`` when the
latest review returned it, and ``superseded`` once a revision of it exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kap_notes.model.note import NOTE_KIND, Note
from kap_notes.model.patient import Patient
from kap_notes.vault.session import Session, StoredRecord
from kap_notes.vault.signing import verify_contents

ADDENDUM_KIND = "addendum"
REVIEW_KIND = "review"
PROCESS_CLASS = "process"


@dataclass(frozen=True)
class Addendum:
    """A dated, authored, signed addition to a signed note."""

    addendum_id: str
    note_id: str
    text: str
    author: str
    created_at: str
    signature_valid: bool
    #: The signature block as stored (signer, signed_at, value, ...), for exports.
    signature: dict[str, Any] | None = None


@dataclass(frozen=True)
class Review:
    """A supervisor's co-signature or return of one signed note version."""

    review_id: str
    note_id: str
    note_version: int
    decision: str
    text: str
    by: str
    at: str
    signature_valid: bool
    #: The signature block as stored (signer, signed_at, value, ...), for exports.
    signature: dict[str, Any] | None = None


@dataclass(frozen=True)
class NoteView:
    """A note as a reader sees it."""

    note: Note
    status: str
    signature_valid: bool
    addenda: list[Addendum] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    superseded_by: str | None = None

    @property
    def is_process_note(self) -> bool:
        return self.note.extra.get("note_class") == PROCESS_CLASS


@dataclass(frozen=True)
class Chart:
    """One patient's record."""

    patient_id: str
    patient: Patient
    notes: list[NoteView]


def _status(note: Note, reviews: list[Review], superseded_by: str | None) -> str:
    if note.signature is None:
        return "draft"
    if superseded_by:
        return "superseded"
    current = [r for r in reviews if r.note_version == note.version and r.signature_valid]
    if current and current[-1].decision == "return":
        return "returned"
    if any(r.decision == "cosign" for r in current):
        return "cosigned"
    return "signed"


def _block(content: dict[str, Any]) -> dict[str, Any] | None:
    block = content.get("signature")
    return dict(block) if isinstance(block, dict) else None


def build_views(
    records: Iterable[StoredRecord], signing_key_of: Callable[[str], bytes | None]
) -> list[NoteView]:
    """Assemble note views from a patient's decrypted records (every signature checked, in
    one batch: :func:`verify_contents`)."""
    records = list(records)
    notes: list[Note] = []
    addenda: list[StoredRecord] = []
    reviews: list[StoredRecord] = []
    superseded: dict[str, str] = {}
    for r in records:
        kind = r.content.get("kind")
        if kind == NOTE_KIND:
            note = Note.from_record(r.record_id, r.patient_id, r.version, r.content)
            notes.append(note)
            revises = note.extra.get("revises")
            if isinstance(revises, dict):
                superseded[str(revises.get("note"))] = r.record_id
        elif kind == ADDENDUM_KIND:
            addenda.append(r)
        elif kind == REVIEW_KIND:
            reviews.append(r)
    signed_notes = [n for n in notes if n.signature is not None]
    checks = [(r.content, r.record_id, r.version) for r in (*addenda, *reviews)]
    checks += [(n.to_record(), n.note_id, n.version) for n in signed_notes]
    verdicts = iter(verify_contents(signing_key_of, checks))
    addenda_of: dict[str, list[Addendum]] = {}
    for r in addenda:
        addendum = _addendum(r, next(verdicts))
        addenda_of.setdefault(addendum.note_id, []).append(addendum)
    reviews_of: dict[str, list[Review]] = {}
    for r in reviews:
        review = _review(r, next(verdicts))
        reviews_of.setdefault(review.note_id, []).append(review)
    note_valid = {n.note_id: next(verdicts) for n in signed_notes}
    views = []
    for note in notes:
        note_reviews = sorted(reviews_of.get(note.note_id, []), key=lambda x: x.at)
        views.append(
            NoteView(
                note=note,
                status=_status(note, note_reviews, superseded.get(note.note_id)),
                signature_valid=note_valid.get(note.note_id, False),
                addenda=sorted(addenda_of.get(note.note_id, []), key=lambda a: a.created_at),
                reviews=note_reviews,
                superseded_by=superseded.get(note.note_id),
            )
        )
    return sorted(views, key=lambda v: (v.note.session_date or "", v.note.created_at or ""))


def _addendum(r: StoredRecord, signature_valid: bool) -> Addendum:
    content = r.content
    return Addendum(
        r.record_id,
        str(content["note"]),
        str(content["text"]),
        str(content["author"]),
        str(content["created_at"]),
        signature_valid,
        _block(content),
    )


def _review(r: StoredRecord, signature_valid: bool) -> Review:
    content = r.content
    return Review(
        r.record_id,
        str(content["note"]),
        int(content["note_version"]),
        str(content["decision"]),
        str(content.get("text", "")),
        str(content["by"]),
        str(content["at"]),
        signature_valid,
        _block(content),
    )


def chart(session: Session, patient_id: str, *, include_process: bool = False) -> Chart:
    """A patient's demographics and notes; psychotherapy process notes only when asked for."""
    records = session.read_patient(patient_id, include_process=include_process)
    profile = next(r for r in records if r.record_id == patient_id)
    views = [
        v
        for v in build_views(records, session.signing_key_of)
        if include_process or not v.is_process_note
    ]
    return Chart(patient_id, Patient.from_record(profile.content), views)
