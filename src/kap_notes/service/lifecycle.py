"""The note lifecycle: draft → signed (immutable) → co-signed, or returned → revised → re-signed.

Addenda and reviews are records of their own that reference a signed version; nothing ever
changes the signed text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kap_notes.forms import ClinicSettings, ValidationIssue, get_template
from kap_notes.model.note import Note
from kap_notes.model.patient import InvalidInput
from kap_notes.service.assess import Assessment, assess, context_for, session_date
from kap_notes.service.chart import ADDENDUM_KIND, PROCESS_CLASS
from kap_notes.service.notes import NoteRef, get_note, list_notes
from kap_notes.vault.audit import utc_now
from kap_notes.vault.errors import SignedRecordImmutable, VaultError
from kap_notes.vault.ids import new_id
from kap_notes.vault.session import Session
from kap_notes.vault.signing import sign_content


class NotSignable(VaultError):
    """The note has problems that must be fixed before it can be signed."""

    def __init__(self, issues: list[ValidationIssue]) -> None:
        self.issues = issues
        listing = "; ".join(i.message for i in issues[:8])
        more = f" (and {len(issues) - 8} more)" if len(issues) > 8 else ""
        super().__init__(f"cannot sign yet: {listing}{more}")


@dataclass(frozen=True)
class Saved:
    """A saved note version and what the template said about it."""

    ref: NoteRef
    assessment: Assessment


def _assess_note(
    session: Session,
    patient_id: str,
    *,
    form: str,
    answers: Mapping[str, Any],
    template_version: str | None,
    settings: ClinicSettings | None,
    others: list[Note] | None = None,
) -> Assessment:
    definition = get_template(form, template_version)
    notes = others if others is not None else list_notes(session, patient_id)
    return assess(definition, answers, context_for(definition.name, answers, notes), settings)


def save_draft(
    session: Session,
    patient_id: str,
    form: str,
    answers: Mapping[str, Any],
    *,
    note_id: str | None = None,
    expected_version: int | None = None,
    settings: ClinicSettings | None = None,
    refuse_wrong_values: bool = False,
) -> Saved:
    """Save exactly what was typed, whatever its problems; return them alongside.

    ``refuse_wrong_values`` (the CLI) raises :class:`InvalidInput` listing values that are wrong
    (not merely missing) and writes nothing; the form always saves, so nothing typed is lost.
    """
    existing = get_note(session, note_id) if note_id else None
    if existing is not None and existing.signature is not None:
        raise SignedRecordImmutable("this note is signed; add an addendum instead")
    if note_id is not None and expected_version is None:
        raise InvalidInput(["updating a note needs the version you are updating"])
    version = existing.template["version"] if existing and existing.template else None
    revises = existing.extra.get("revises") if existing else None
    assessment = _assess_note(
        session, patient_id, form=form, answers=answers, template_version=version, settings=settings
    )
    if refuse_wrong_values and assessment.wrong_values:
        raise InvalidInput(assessment.wrong_values)
    definition = assessment.definition
    now = utc_now()
    note = Note(
        note_id=note_id or "",
        patient_id=patient_id,
        version=0,
        form=definition.name,
        answers=dict(answers),
        author=existing.author if existing else session.user_id,
        status="draft",
        session_date=session_date(answers),
        template={"url": definition.url, "version": definition.version},
        created_at=existing.created_at if existing else now,
        updated_at=now,
        extra={
            "note_class": definition.note_class,
            **({"revises": revises} if revises else {}),
        },
    )
    # Process notes (HIPAA 164.501) live in a space keyed to their author alone.
    is_process = definition.note_class == PROCESS_CLASS
    space = session.process_space(patient_id) if is_process else patient_id
    record_id, version_saved = session.put_record(
        space, note.to_record(), record_id=note_id, expected_version=expected_version
    )
    return Saved(NoteRef(record_id, version_saved), assessment)


def sign_note(
    session: Session,
    note_id: str,
    passphrase: str,
    *,
    expected_version: int | None = None,
    settings: ClinicSettings | None = None,
) -> Saved:
    """Sign a draft after re-entering the passphrase. Raises :class:`NotSignable` with issues."""
    session.reauthenticate(passphrase)
    note = get_note(session, note_id)
    if note.signature is not None:
        raise SignedRecordImmutable("this note is already signed; add an addendum instead")
    if note.author != session.user_id:
        raise InvalidInput(["only the note's author can sign it"])
    template_version = note.template["version"] if note.template else None
    assessment = _assess_note(
        session,
        note.patient_id,
        form=note.form,
        answers=note.answers,
        template_version=template_version,
        settings=settings,
    )
    if not assessment.validation.ok:
        raise NotSignable(list(assessment.validation.errors))
    content = {
        **note.to_record(),
        "status": "signed",
        "computed": assessment.computed,
        "flags": [f.as_dict() for f in assessment.flags],
    }
    version = (expected_version or note.version) + 1
    signed = sign_content(session, content, note_id, version, meaning="author")
    record_id, saved = session.put_record(
        note.patient_id, signed, record_id=note_id, expected_version=version - 1, action="sign"
    )
    return Saved(NoteRef(record_id, saved), assessment)


def add_addendum(session: Session, note_id: str, text: str, *, passphrase: str) -> NoteRef:
    """A dated, authored, signed addendum to a signed note (the note itself never changes).

    Like signing, it needs the author's passphrase again (:class:`WrongPassphrase` otherwise).
    """
    if not text.strip():
        raise InvalidInput(["an addendum needs some text"])
    session.reauthenticate(passphrase)
    note = get_note(session, note_id)
    if note.signature is None:
        raise InvalidInput(["this note is still a draft: edit it instead of adding an addendum"])
    content = {
        "kind": ADDENDUM_KIND,
        "note": note_id,
        "note_version": note.version,
        "text": text,
        "author": session.user_id,
        "created_at": utc_now(),
    }
    record_id = new_id("rec")
    signed = sign_content(session, content, record_id, 1, meaning="addendum")
    session.put_record(session.record_space(note_id), signed, record_id=record_id, action="sign")
    return NoteRef(record_id, 1)


def revise_note(session: Session, note_id: str) -> NoteRef:
    """Start a new draft from a returned note; the returned original stays as it was."""
    note = get_note(session, note_id)
    if note.signature is None:
        raise InvalidInput(["this note is a draft: edit it directly"])
    content = Note(
        note_id="",
        patient_id=note.patient_id,
        version=0,
        form=note.form,
        answers=dict(note.answers),
        author=session.user_id,
        session_date=note.session_date,
        template=note.template,
        created_at=utc_now(),
        updated_at=utc_now(),
        extra={
            "note_class": note.extra.get("note_class", "clinical"),
            "revises": {"note": note_id, "version": note.version},
        },
    )
    record_id, version = session.put_record(session.record_space(note_id), content.to_record())
    return NoteRef(record_id, version)


def note_details(
    session: Session, note_id: str, settings: ClinicSettings | None = None
) -> tuple[Note, Assessment]:
    """A note with its computed values, bands and flags as its template defines them now."""
    note = get_note(session, note_id)
    version = note.template["version"] if note.template else None
    others = [n for n in list_notes(session, note.patient_id) if n.note_id != note_id]
    assessment = _assess_note(
        session,
        note.patient_id,
        form=note.form,
        answers=note.answers,
        template_version=version,
        settings=settings,
        others=others,
    )
    return note, assessment
