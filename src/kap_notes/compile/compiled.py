"""Compiled progress notebooks stored encrypted in the vault, rebuilt only when notes change.

A compiled notebook is a record of its patient (``kind: progress_notebook``) holding the
notebook JSON and the fingerprint of what it was built from: every included note id and version,
its addenda and reviews, the profile version, the clinic settings and the layout version.
Its record id is random like every other: a derived id would let anyone holding the store tell
which record is a notebook, and note types never appear in plaintext. It is found by decrypting
the patient's records, which compiling does anyway. Only its newest version is stored (older
ones are pruned with a signed entry: :mod:`kap_notes.vault.artefacts`), and a rebuild takes
every chart whose key did not change from the stored notebook instead of drawing it again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from kap_notes.compile.cells import drawn_charts, validated_json
from kap_notes.compile.data import PatientData, gather
from kap_notes.compile.progress import LAYOUT_VERSION, build_progress
from kap_notes.forms import ClinicSettings
from kap_notes.model.patient import Patient
from kap_notes.records.chart import NoteView, build_views
from kap_notes.vault.artefacts import prune_versions
from kap_notes.vault.session import Session, StoredRecord

NOTEBOOK_KIND = "progress_notebook"


@dataclass(frozen=True)
class CompileResult:
    """A compiled notebook, whether this call wrote it, and the record holding it."""

    notebook_json: str
    changed: bool
    record_id: str


@dataclass(frozen=True)
class _Loaded:
    records: list[StoredRecord]
    patient: Patient
    views: list[NoteView]


def user_names(session: Session) -> dict[str, str]:
    """User id → how they are shown beside signatures and reviews (``Tess Taylor, LCSW``)."""
    return {user_id: session.user_label(user_id) for user_id in session.policy.users}


def _load(session: Session, patient_id: str, include_process: bool) -> _Loaded:
    records = session.read_patient(patient_id, include_process=include_process)
    profile = next(r for r in records if r.record_id == patient_id)
    views = [
        v
        for v in build_views(records, session.signing_key_of)
        if include_process or not v.is_process_note
    ]
    return _Loaded(records, Patient.from_record(profile.content), views)


def load_patient_data(
    session: Session,
    patient_id: str,
    *,
    include_process: bool = False,
    settings: ClinicSettings | None = None,
) -> PatientData:
    """One audited read of the patient, as table rows (the vault's clinic settings unless
    ``settings`` is given)."""
    loaded = _load(session, patient_id, include_process)
    settings = settings or session.clinic_settings()[0]
    return gather(patient_id, loaded.patient, loaded.views, user_names(session), settings)


def fingerprint(
    loaded: _Loaded, patient_id: str, include_process: bool, settings: ClinicSettings
) -> str:
    """SHA-256 over everything the notebook is built from (ids and versions, not content)."""
    profile = next(r for r in loaded.records if r.record_id == patient_id)
    basis = {
        "layout": LAYOUT_VERSION,
        "include_process": include_process,
        "settings": settings.as_mapping(),
        "profile": profile.version,
        "notes": [
            [
                v.note.note_id,
                v.note.version,
                sorted(a.addendum_id for a in v.addenda),
                sorted(r.review_id for r in v.reviews),
            ]
            for v in sorted(loaded.views, key=lambda v: v.note.note_id)
        ],
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()


def _stored(
    session: Session, records: list[StoredRecord], include_process: bool
) -> StoredRecord | None:
    """This user's stored notebook (each reader keeps their own: only a record's author writes
    its later versions)."""
    return next(
        (
            r
            for r in sorted(records, key=lambda r: r.record_id)
            if r.content.get("kind") == NOTEBOOK_KIND
            and r.content.get("include_process") is include_process
            and session.record_author(r.record_id) == session.user_id
        ),
        None,
    )


def compile_patient(
    session: Session,
    patient_id: str,
    *,
    include_process: bool = False,
    settings: ClinicSettings | None = None,
) -> CompileResult:
    """Compile, store encrypted, and return the patient's progress notebook.

    Nothing is written when the stored notebook was built from the same notes.
    """
    settings = settings or session.clinic_settings()[0]  # the vault's, as on every path
    loaded = _load(session, patient_id, include_process)
    stored = _stored(session, loaded.records, include_process)
    digest = fingerprint(loaded, patient_id, include_process, settings)
    if stored is not None and stored.content.get("fingerprint") == digest:
        return CompileResult(str(stored.content["notebook"]), False, stored.record_id)
    # charts whose keys did not change are taken from the stored notebook, not drawn again
    drawn = drawn_charts(str(stored.content["notebook"])) if stored is not None else {}
    names = user_names(session)
    data = gather(patient_id, loaded.patient, loaded.views, names, settings, drawn=drawn)
    notebook = validated_json(
        build_progress(data, fingerprint=digest, include_process=include_process)
    )
    content = {
        "kind": NOTEBOOK_KIND,
        "include_process": include_process,
        "fingerprint": digest,
        "layout_version": LAYOUT_VERSION,
        "notebook": notebook,
    }
    # A notebook that shows process notes is kept with them, under the author's key only.
    space = session.process_space(patient_id) if include_process else patient_id
    record_id, version = session.put_record(
        space,
        content,
        record_id=stored.record_id if stored else None,
        expected_version=stored.version if stored else None,
    )
    # Only the newest compiled notebook is kept: the audit log holds the history.
    prune_versions(session, space, record_id, version)
    return CompileResult(notebook, True, record_id)


def read_compiled(
    session: Session, patient_id: str, *, include_process: bool = False
) -> str | None:
    """The stored notebook JSON (as last compiled), or ``None`` if never compiled."""
    records = session.read_patient(patient_id, include_process=include_process)
    stored = _stored(session, records, include_process)
    return str(stored.content["notebook"]) if stored is not None else None
