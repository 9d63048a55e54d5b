"""Compiled notebooks: byte-identical rebuilds, stored encrypted, rebuilt only when notes change."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kap_notes.compile import NOTEBOOK_KIND, compile_patient, read_compiled
from kap_notes.compile.cells import validated_json
from kap_notes.compile.compiled import load_patient_data
from kap_notes.compile.progress import build_progress
from kap_notes.service import lifecycle, review
from kap_notes.service.demo import record_course
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault.errors import NotAuthorised
from kap_notes.vault.session import Session
from tests.compile.conftest import PROCESS_TEXT, Course12
from tests.conftest import PASSPHRASES


def _writes(session: Session, patient_id: str) -> int:
    """How many record versions the patient has (every write adds one)."""
    return sum(version for _, version in session.store.record_ids(patient_id))


def test_same_notes_give_byte_identical_notebooks(recorded: Course12) -> None:
    first = compile_patient(recorded.sam, recorded.patient_id)
    rebuilt = validated_json(
        build_progress(
            load_patient_data(recorded.sam, recorded.patient_id),
            fingerprint=json.loads(first.notebook_json)["metadata"]["kap_notes"]["fingerprint"],
            include_process=False,
        )
    )
    assert rebuilt == first.notebook_json


def test_identical_after_reopening_the_vault_and_by_another_reader(recorded: Course12) -> None:
    by_sam = compile_patient(recorded.sam, recorded.patient_id)
    tess_again = recorded.clinic.unlock("tess")  # a fresh Vault.open and unlock
    lifecycle.add_addendum(
        tess_again, recorded.note_ids[5], "Synthetic addendum two", passphrase=PASSPHRASES["tess"]
    )
    by_tess = compile_patient(tess_again, recorded.patient_id)
    sam_again = recorded.clinic.unlock("sam")
    again = compile_patient(sam_again, recorded.patient_id)  # sam's own, rebuilt for the addendum
    assert by_tess.changed
    assert again.changed
    assert again.record_id == by_sam.record_id != by_tess.record_id  # each reader keeps their own
    assert again.notebook_json == by_tess.notebook_json  # same notes, same bytes, any reader
    assert by_sam.notebook_json != by_tess.notebook_json
    reopened = compile_patient(recorded.clinic.unlock("sam"), recorded.patient_id)
    assert not reopened.changed
    assert reopened.notebook_json == again.notebook_json

    # The edition with process notes is the treating therapist's alone, stable across unlocks.
    with_process = compile_patient(tess_again, recorded.patient_id, include_process=True)
    assert PROCESS_TEXT in with_process.notebook_json
    assert PROCESS_TEXT not in by_tess.notebook_json
    tess_third = recorded.clinic.unlock("tess")
    with_process_again = compile_patient(tess_third, recorded.patient_id, include_process=True)
    assert not with_process_again.changed
    assert with_process_again.notebook_json == with_process.notebook_json
    with pytest.raises(NotAuthorised):
        compile_patient(sam_again, recorded.patient_id, include_process=True)


def test_recompiling_unchanged_notes_writes_nothing(recorded: Course12) -> None:
    first = compile_patient(recorded.sam, recorded.patient_id)
    writes = _writes(recorded.sam, recorded.patient_id)
    second = compile_patient(recorded.sam, recorded.patient_id)
    assert first.changed
    assert not second.changed
    assert second.record_id == first.record_id
    assert second.notebook_json == first.notebook_json
    assert _writes(recorded.sam, recorded.patient_id) == writes


def test_a_note_change_rebuilds_the_notebook(recorded: Course12) -> None:
    first = compile_patient(recorded.sam, recorded.patient_id)
    review.cosign(recorded.sam, recorded.note_ids[6], passphrase=PASSPHRASES["sam"])
    after_cosign = compile_patient(recorded.sam, recorded.patient_id)
    assert after_cosign.changed
    assert after_cosign.record_id == first.record_id
    assert after_cosign.notebook_json.count("Co-signed by sam") == len(recorded.cosigned) + 1
    draft = lifecycle.save_draft(
        recorded.tess,
        recorded.patient_id,
        "intention",
        {"session_datetime": "2026-06-01T10:00", "setting": "remote"},
    )
    after_draft = compile_patient(recorded.sam, recorded.patient_id)
    assert after_draft.changed
    assert draft.ref.note_id in after_draft.notebook_json
    assert read_compiled(recorded.sam, recorded.patient_id) == after_draft.notebook_json
    # notebooks are kept per reader: tess has none until she compiles, then the same bytes
    assert read_compiled(recorded.tess, recorded.patient_id) is None
    by_tess = compile_patient(recorded.tess, recorded.patient_id)
    assert by_tess.record_id != after_draft.record_id
    assert read_compiled(recorded.tess, recorded.patient_id) == after_draft.notebook_json


def test_stored_notebook_is_an_encrypted_record_of_the_patient(recorded: Course12) -> None:
    result = compile_patient(recorded.sam, recorded.patient_id)
    stored = recorded.tess.get_record(result.record_id)
    assert stored.patient_id == recorded.patient_id
    assert stored.content["kind"] == NOTEBOOK_KIND
    assert stored.content["notebook"] == result.notebook_json
    name = recorded.course.profile["name"].encode()
    assert name in result.notebook_json.encode()
    files = [p for p in recorded.clinic.path.rglob("*") if p.is_file()]
    assert files
    for path in files:
        raw = path.read_bytes()
        assert name not in raw, path
        assert b"Progress notebook" not in raw, path
        assert NOTEBOOK_KIND.encode() not in raw, path


def test_read_compiled_is_none_before_the_first_compile(recorded: Course12) -> None:
    assert read_compiled(recorded.sam, recorded.patient_id) is None
    compiled = compile_patient(recorded.sam, recorded.patient_id)
    assert read_compiled(recorded.sam, recorded.patient_id) == compiled.notebook_json
    assert read_compiled(recorded.sam, recorded.patient_id, include_process=True) is None


def test_other_patients_notebooks_are_independent(recorded: Course12) -> None:
    other_id, _ = record_course(
        recorded.tess,
        synthetic_course(5, start=dt.date(2026, 2, 2)),
        passphrase=PASSPHRASES["tess"],
    )
    mine = compile_patient(recorded.tess, recorded.patient_id)
    theirs = compile_patient(recorded.tess, other_id)
    assert mine.record_id != theirs.record_id
    assert recorded.patient_id not in theirs.notebook_json
    assert not compile_patient(recorded.tess, recorded.patient_id).changed
