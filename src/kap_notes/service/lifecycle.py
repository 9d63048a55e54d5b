"""The note lifecycle: draft → signed (immutable) → co-signed, or returned → revised → re-signed.

Addenda and reviews are records of their own that reference a signed version; nothing ever
changes the signed text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from kap_notes.errors import NotSignable as NotSignable  # noqa: PLC0414 - re-exported
from kap_notes.forms import ClinicSettings, ValidationIssue, get_template
from kap_notes.model.note import NOTE_KIND, Note
from kap_notes.model.patient import InvalidInput
from kap_notes.records.assess import Assessment, assess, session_date
from kap_notes.records.chart import ADDENDUM_KIND, PROCESS_CLASS, NoteView, build_views
from kap_notes.records.derived import (
    Derived,
    assess_as_of,
    context_as_of,
    derived_values,
    frozen_content,
)
from kap_notes.service import autosave
from kap_notes.service.notes import NoteRef, get_note, list_notes
from kap_notes.vault.audit import utc_now
from kap_notes.vault.errors import NotAuthorised, SignedRecordImmutable
from kap_notes.vault.ids import new_id
from kap_notes.vault.session import Session
from kap_notes.vault.signing import sign_content

#: The content of a discarded draft's last version (a tombstone: no answers).
DISCARDED_KIND = "discarded_note"


@dataclass(frozen=True)
class Saved:
    """A saved note version and what the template said about it."""

    ref: NoteRef
    assessment: Assessment


def _assess_note(
    session: Session, note: Note, settings: ClinicSettings | None, others: list[Note] | None = None
) -> tuple[Assessment, list[str]]:
    """Assess ``note`` against the patient's signed record as of its session date (under the
    vault's clinic settings unless ``settings`` is given)."""
    notes = others if others is not None else list_notes(session, note.patient_id)
    if settings is None:
        settings = session.clinic_settings()[0]
    return assess_as_of(note, notes, settings, get_template(note.form, _version_of(note)))


def _version_of(note: Note) -> str | None:
    return note.template.get("version") if note.template else None


def signed_notes(session: Session, patient_id: str) -> list[Note]:
    """The patient's signed notes: all a draft's as-of values may draw on (records/derived.py).

    Decrypted once (one audited read) and kept in the session until the verified log shows a
    new signature for the patient, so an autosave re-reads nothing; a note signed meanwhile
    (by anyone) is taken into account at the next save.
    """
    session.sync()
    session.patient(patient_id)  # UnknownPatient if never registered (or shredded)
    stamp = session.policy.sealed_at.get(patient_id, 0)
    cached = session.memo.get(("signed_notes", patient_id))
    if cached is not None and cached[0] == stamp:
        return list(cached[1])
    notes = [n for n in list_notes(session, patient_id) if n.signature is not None]
    session.memo[("signed_notes", patient_id)] = (stamp, notes)
    return list(notes)


def _context_as_of(session: Session, note: Note) -> dict[str, Any]:
    """``records.derived.context_as_of`` for a draft, kept per patient while no new signature
    appears: it depends only on the signed notes and on the draft's form, session date, linked
    dosing note and the note it revises, so a form that autosaves computes it once."""
    sources = signed_notes(session, note.patient_id)
    stamp = session.policy.sealed_at.get(note.patient_id, 0)
    revises = note.extra.get("revises")
    key = (
        note.form,
        note.session_date,
        str(note.answers.get("linked_dosing_note_id") or ""),
        str(revises.get("note")) if isinstance(revises, Mapping) else None,
    )
    kept = session.memo.setdefault(("as_of", note.patient_id), {})
    if kept.get("stamp") != stamp:
        kept.clear()
        kept["stamp"] = stamp
    if key not in kept:
        kept[key] = context_as_of(note, sources)[0]
    return dict(kept[key])


@dataclass(frozen=True)
class _DraftFacts:
    """What a draft's next version keeps from its last one (remembered by the session that
    saved it, so an autosave does not decrypt the draft again)."""

    version: int
    created_at: str | None
    template_version: str | None
    revises: Any


def _draft_facts(session: Session, note_id: str, expected_version: int | None) -> _DraftFacts:
    """The facts of ``note_id`` at ``expected_version``: remembered from this session's last
    save of it when the log confirms it is still this user's unsealed draft at that version,
    else read (an audited read; signed or foreign notes are refused)."""
    fact = session.policy.records.get(note_id)
    known = session.memo.get(("draft", note_id))
    if (
        isinstance(known, _DraftFacts)
        and fact is not None
        and known.version == expected_version == len(fact.digests)
        and fact.author == session.user_id
        and not fact.sealed
    ):
        return known
    existing = get_note(session, note_id)
    if existing.signature is not None:
        raise SignedRecordImmutable("this note is signed; add an addendum instead")
    if existing.author != session.user_id:
        raise NotAuthorised(
            f"this draft was written by {session.user_name(existing.author)}; only its author "
            f"saves it, and {session.user_row.name} is unlocked. Nothing was saved."
        )
    template = existing.template or {}
    return _DraftFacts(
        existing.version,
        existing.created_at,
        template.get("version"),
        existing.extra.get("revises"),
    )


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
    expected_author: str | None = None,
    coalesce: bool = False,
) -> Saved:
    """Save exactly what was typed, whatever its problems; return them alongside.

    ``refuse_wrong_values`` (the CLI) raises :class:`InvalidInput` listing values that are wrong
    (not merely missing) and writes nothing; the form always saves, so nothing typed is lost.
    A draft is saved only as its author: ``expected_author`` (the user id the form was opened
    by) must be the unlocked user, and an existing draft only takes versions from its author
    (:class:`NotAuthorised` otherwise; nothing is written).

    ``coalesce`` (a form's autosave): while this session wrote the draft's audited head itself,
    the save goes to the author's sealed autosave buffer (:mod:`.autosave`: one commit, no audit
    entry) and the version stays; :func:`close_draft` or signing writes it as a version.
    """
    check_author(session, expected_author)
    if note_id is not None and expected_version is None:
        raise InvalidInput(["updating a note needs the version you are updating"])
    remembered = session.memo.get(("draft", note_id)) if note_id else None
    existing = _draft_facts(session, note_id, expected_version) if note_id else None
    revises = existing.revises if existing else None
    definition = get_template(form, existing.template_version if existing else None)
    now = utc_now()
    note = Note(
        note_id=note_id or "",
        patient_id=patient_id,
        version=0,
        form=definition.name,
        answers=dict(answers),
        author=session.user_id,
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
    if settings is None:
        settings = session.clinic_settings()[0]
    context = _context_as_of(session, note)
    assessment = assess(definition, note.answers, context, settings)
    if refuse_wrong_values and assessment.wrong_values:
        raise InvalidInput(assessment.wrong_values)
    # Process notes (HIPAA 164.501) live in a space keyed to their author alone.
    is_process = definition.note_class == PROCESS_CLASS
    space = session.process_space(patient_id) if is_process else patient_id
    same_patient = note_id is not None and session.patient_of(note_id) == patient_id
    if coalesce and note_id and expected_version and existing is remembered and same_patient:
        autosave.write(
            session, session.record_space(note_id), note_id, expected_version, note.to_record()
        )
        return Saved(NoteRef(note_id, expected_version), assessment)
    record_id, version_saved = session.put_record(
        space, note.to_record(), record_id=note_id, expected_version=expected_version
    )
    session.memo[("draft", record_id)] = _DraftFacts(
        version_saved, note.created_at, definition.version, revises
    )
    return Saved(NoteRef(record_id, version_saved), assessment)


def check_author(session: Session, expected_author: str | None) -> None:
    """Refuse (:class:`NotAuthorised`) when the unlocked user is not ``expected_author``: a
    form opened by one clinician never saves under another's name."""
    if expected_author is not None and expected_author != session.user_id:
        raise NotAuthorised(
            f"this form was opened by {session.user_name(expected_author)}; "
            f"{session.user_row.name} is now unlocked. Nothing was saved; unlock as "
            f"{session.user_name(expected_author)} to save it."
        )


def discard_draft(session: Session, note_id: str, expected_version: int) -> NoteRef:
    """Discard a draft: its author writes a tombstone version (audited as ``discard``).

    The draft leaves every list, chart, notebook and queue; its earlier versions stay encrypted
    in the append-only store. A signed note is never discarded (:class:`SignedRecordImmutable`):
    the verified policy log refuses any version after a signed one, whoever writes it.
    """
    record = session.get_record(note_id)
    if record.content.get("kind") == DISCARDED_KIND:
        raise InvalidInput([f"note {note_id} was already discarded"])
    if record.content.get("kind") != NOTE_KIND:
        raise InvalidInput([f"{note_id} is not a note"])
    note = Note.from_record(record.record_id, record.patient_id, record.version, record.content)
    if note.signature is not None:
        raise SignedRecordImmutable(
            "this note is signed and part of the record: it can never be discarded "
            "(add an addendum to correct it)"
        )
    if note.author != session.user_id:
        raise NotAuthorised(
            f"only the draft's author ({session.user_name(note.author)}) can discard it"
        )
    tombstone = {
        "kind": DISCARDED_KIND,
        "note": note_id,
        "discarded_version": note.version,
        "author": note.author,
        "discarded_at": utc_now(),
    }
    record_id, version = session.put_record(
        note.patient_id,
        tombstone,
        record_id=note_id,
        expected_version=expected_version,
        action="discard",
    )
    autosave.forget(session, note_id)
    return NoteRef(record_id, version)


def sign_note(
    session: Session,
    note_id: str,
    passphrase: str,
    *,
    expected_version: int | None = None,
    settings: ClinicSettings | None = None,
    settings_version: int | None = None,
) -> Saved:
    """Sign a draft after re-entering the passphrase. Raises :class:`NotSignable` with issues.

    The flags are frozen with the clinic-settings version they used: the vault's current one
    unless ``settings`` (and its ``settings_version``) are given.
    """
    session.reauthenticate(passphrase)
    if settings is None:
        settings, settings_version = session.clinic_settings()
    note = get_note(session, note_id)
    if note.signature is not None:
        raise SignedRecordImmutable("this note is already signed; add an addendum instead")
    if note.author != session.user_id:
        raise InvalidInput(["only the note's author can sign it"])
    assessment, used = _assess_note(session, note, settings)
    if not assessment.validation.ok:
        raise NotSignable(list(assessment.validation.errors))
    derived = Derived(
        computed=assessment.computed,
        flags=[f.as_dict() for f in assessment.flags],
        source_notes=used,
        settings_version=settings_version,
    )
    content = {**note.to_record(), "status": "signed", **frozen_content(derived)}
    version = (expected_version or note.version) + 1
    signed = sign_content(session, content, note_id, version, meaning="author")
    record_id, saved = session.put_record(
        note.patient_id, signed, record_id=note_id, expected_version=version - 1, action="sign"
    )
    autosave.forget(session, note_id)  # the signed version carries what was typed
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


@dataclass(frozen=True)
class NoteDetails:
    """A note as every view shows it: status, addenda, reviews and its derived values."""

    view: NoteView
    derived: Derived
    #: What still stops a draft from being signed (empty for a signed note).
    issues: list[ValidationIssue]

    @property
    def note(self) -> Note:
        return self.view.note

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly: the note, its derived values, status, signatures, addenda, reviews."""
        view = self.view
        return {
            **asdict(view.note),
            "status": view.status,
            "signature_valid": view.signature_valid,
            "superseded_by": view.superseded_by,
            "addenda": [asdict(a) for a in view.addenda],
            "reviews": [asdict(r) for r in view.reviews],
            "computed": self.derived.computed,
            "flags": self.derived.flags,
            "derived_from": self.derived.provenance(),
            "frozen": self.derived.frozen,
            "issues": [i.as_dict() for i in self.issues],
        }


def note_details(
    session: Session,
    note_id: str,
    settings: ClinicSettings | None = None,
    settings_version: int | None = None,
) -> NoteDetails:
    """A note with status and derived values (frozen if signed, as of its session if a draft,
    under the vault's clinic settings unless ``settings`` is given)."""
    if settings is None:
        settings, settings_version = session.clinic_settings()
    note = get_note(session, note_id)
    is_process = note.extra.get("note_class") == PROCESS_CLASS
    records = session.read_patient(note.patient_id, include_process=is_process)
    views = build_views(records, session.signing_key_of)
    view = next(v for v in views if v.note.note_id == note_id)
    if view.note.signature is None and note.version == view.note.version:
        view = replace(view, note=note)  # its author's own draft: with the autosave buffer
    others = [v.note for v in views]
    derived = derived_values(view.note, others, settings, settings_version)
    issues: list[ValidationIssue] = []
    if not derived.frozen:
        assessment, _ = _assess_note(session, view.note, settings, others)
        issues = list(assessment.validation.issues)
    return NoteDetails(view, derived, issues)
