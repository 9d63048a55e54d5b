"""Unlock checks only what was written after the user's verified head (issue 14): a database writer
who edits rows *behind* that head must still be caught — when the patient is opened, when the
record is read, and by ``audit verify``."""

from __future__ import annotations

import pytest

from kap_notes.service import lifecycle
from kap_notes.vault import audit, trust
from kap_notes.vault.errors import IntegrityError
from kap_notes.vault.session import Session
from tests.postgres.harness import raw_db
from tests.vault.conftest import Clinic


def _history(clinic: Clinic) -> tuple[str, str, str]:
    """tess's patient with a note at version 3 and a second note; then tess unlocks again so her
    verified head (her sealed checkpoint) lies after every one of those writes."""
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Behind"})
    rid, _ = tess.put_record(patient, {"v": 1})
    for version in (1, 2):
        tess.put_record(patient, {"v": version + 1}, record_id=rid, expected_version=version)
    other, _ = tess.put_record(patient, {"v": "other"})
    _move_head(clinic)
    return patient, rid, other


def _move_head(clinic: Clinic) -> None:
    """tess's checkpoint rewritten now, as an unlock does once it lies far behind: from here on
    unlock checks nothing written before."""
    tess = clinic.unlock("tess")
    with tess.store.transaction():
        trust.write_cache(tess.store, tess.policy, tess.key_pair, tess.user_id)


def _fresh(clinic: Clinic) -> Session:
    return clinic.unlock("tess")


def test_rollback_behind_the_verified_head_is_caught_on_open(clinic: Clinic) -> None:
    patient, rid, _ = _history(clinic)
    with raw_db(clinic.location) as db:
        db.execute("UPDATE records SET version = 2 WHERE record_id = ?", (rid,))
        db.execute("DELETE FROM record_versions WHERE record_id = ? AND version = 3", (rid,))
    tess = _fresh(clinic)  # unlock checks only newer writes: it opens
    with pytest.raises(IntegrityError, match=rf"{rid}.*rolled back"):
        tess.read_patient(patient)
    with pytest.raises(IntegrityError, match="rolled back"):
        tess.get_record(rid)
    report = audit.verify_chain(clinic.vault.store, clinic.vault.vault_id)
    assert any(rid in p and "rolled back" in p for p in report.problems), report.problems


def test_deleted_record_behind_the_head_is_caught_on_open(clinic: Clinic) -> None:
    patient, _, other = _history(clinic)
    with raw_db(clinic.location) as db:
        db.execute("DELETE FROM records WHERE record_id = ?", (other,))
        db.execute("DELETE FROM record_versions WHERE record_id = ?", (other,))
    tess = _fresh(clinic)
    with pytest.raises(IntegrityError, match=rf"{other}.*missing from the store"):
        tess.read_patient(patient)
    report = audit.verify_chain(clinic.vault.store, clinic.vault.vault_id)
    assert any(other in p for p in report.problems), report.problems


def test_record_moved_in_from_another_patient_is_caught_on_open(clinic: Clinic) -> None:
    patient, _, _ = _history(clinic)
    tess = clinic.unlock("tess")
    elsewhere = tess.create_patient({"kind": "patient", "name": "Synthetic Elsewhere"})
    moved, _ = tess.put_record(elsewhere, {"v": "moved"})
    _move_head(clinic)
    with raw_db(clinic.location) as db:
        db.execute("UPDATE records SET patient_id = ? WHERE record_id = ?", (patient, moved))
    tess = _fresh(clinic)
    with pytest.raises(IntegrityError, match=moved):
        tess.read_patient(patient)
    with pytest.raises(IntegrityError, match=moved):
        tess.read_patient(elsewhere)


def test_profile_rolled_back_behind_the_head_is_caught_by_the_patient_list(
    clinic: Clinic,
) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Old Name"})
    tess.put_record(patient, {"kind": "patient", "name": "Synthetic New"}, record_id=patient,
                    expected_version=1)  # fmt: skip
    _move_head(clinic)
    with raw_db(clinic.location) as db:
        db.execute("UPDATE records SET version = 1 WHERE record_id = ?", (patient,))
    with pytest.raises(IntegrityError, match="rolled back"):
        _fresh(clinic).list_patients()


def test_autosaves_reread_nothing_yet_see_a_note_signed_meanwhile(clinic: Clinic) -> None:
    """The as-of context an autosave keeps is replaced as soon as the log shows a new signature
    of the patient (so a weight signed by anyone meanwhile changes mg/kg at the next save)."""
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Autosave"})
    answers = {"session_datetime": "2025-06-02T10:00", "route": "im", "dose_mg": 35}
    ref = lifecycle.save_draft(tess, patient, "dosing", answers).ref
    first = tess.policy.seq
    again = lifecycle.save_draft(
        tess, patient, "dosing", answers, note_id=ref.note_id, expected_version=ref.version
    )
    assert tess.policy.seq == first + 1  # one audit entry, no audited read
    assert again.assessment.computed.get("dose_mg_per_kg") is None
    prep = {"session_date": "2025-06-01", "weight_kg": 70}
    weighed = lifecycle.save_draft(tess, patient, "preparation", prep).ref
    tess.put_record(  # a signature: what the as-of context is keyed by
        patient,
        {**tess.get_record(weighed.note_id).content, "signature": {"signed_at": "x"}},
        record_id=weighed.note_id,
        expected_version=weighed.version,
        action="sign",
    )
    later = lifecycle.save_draft(
        tess, patient, "dosing", answers, note_id=ref.note_id, expected_version=2
    )
    assert later.assessment.computed.get("dose_mg_per_kg") == pytest.approx(0.5)
