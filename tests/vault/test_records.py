"""Records: versions, conflicts, signed immutability, access, and no PHI in the database."""

from __future__ import annotations

import pytest

from kap_notes.vault import access, audit, crypto
from kap_notes.vault.errors import (
    IntegrityError,
    NotAuthorised,
    SignedRecordImmutable,
    StaleVersion,
    UnknownRecord,
)
from tests.conftest import synthetic_patient
from tests.postgres.harness import query, raw_db, stored_files
from tests.vault.conftest import Clinic


def test_versions_and_optimistic_conflicts(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", **synthetic_patient()})
    record, v1 = tess.put_record(patient, {"kind": "note", "text": "first"})
    _, v2 = tess.put_record(
        patient, {"kind": "note", "text": "second"}, record_id=record, expected_version=v1
    )
    assert (v1, v2) == (1, 2)
    # a writer still holding version 1 cannot silently overwrite version 2
    with pytest.raises(StaleVersion, match="changed by someone else"):
        tess.put_record(
            patient, {"kind": "note", "text": "stale"}, record_id=record, expected_version=v1
        )
    assert tess.get_record(record).content["text"] == "second"
    assert tess.get_record(record, version=1).content["text"] == "first"
    with pytest.raises(UnknownRecord):
        tess.get_record("rec_missing")


def test_vault_refuses_to_overwrite_a_signed_version(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", **synthetic_patient()})
    record, v1 = tess.put_record(
        patient, {"kind": "note", "signature": {"by": "tess"}}, action="sign"
    )
    with pytest.raises(SignedRecordImmutable, match="addendum"):
        tess.put_record(
            patient, {"kind": "note", "signature": None}, record_id=record, expected_version=v1
        )


def test_each_therapist_sees_only_their_patients_and_admins_none(clinic: Clinic) -> None:
    tess, theo = clinic.unlock("tess"), clinic.unlock("theo")
    mine = tess.create_patient({"kind": "patient", **synthetic_patient(1)})
    theirs = theo.create_patient({"kind": "patient", **synthetic_patient(2)})
    assert [p.record_id for p in tess.list_patients()] == [mine]
    with pytest.raises(NotAuthorised, match="no access"):
        tess.read_patient(theirs)
    with pytest.raises(NotAuthorised):
        clinic.unlock("ada").read_patient(mine)
    # sam supervises tess, so sam reads tess's patient but not theo's
    sam = clinic.unlock("sam")
    assert len(sam.read_patient(mine)) == 1
    with pytest.raises(NotAuthorised):
        sam.read_patient(theirs)


def test_record_swapped_between_patients_is_unreadable(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    a = tess.create_patient({"kind": "patient", **synthetic_patient(1)})
    b = tess.create_patient({"kind": "patient", **synthetic_patient(2)})
    rec_a, _ = tess.put_record(a, {"kind": "note", "text": "a"})
    rec_b, _ = tess.put_record(b, {"kind": "note", "text": "b"})
    with raw_db(clinic.location) as db:
        (blob_a,) = db.execute(
            "SELECT blob FROM record_versions WHERE record_id=?", (rec_a,)
        ).fetchone()
        db.execute("UPDATE record_versions SET blob=? WHERE record_id=?", (blob_a, rec_b))
    report = audit.verify_chain(clinic.vault.store, clinic.vault.vault_id)
    assert any(rec_b in p for p in report.problems)
    # unlock reads no blob; the swapped one is refused the moment anyone opens it
    again = clinic.unlock("tess")
    with pytest.raises(IntegrityError, match="differs from what its author wrote"):
        again.get_record(rec_b)
    assert again.get_record(rec_a).content["text"] == "a"


def test_no_plaintext_phi_in_the_database(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient(
        {"kind": "patient", "name": "Zebulon Quixotic-Synthetic", "date_of_birth": "1977-07-07"}
    )
    tess.put_record(
        patient,
        {
            "kind": "note",
            "form": "dosing",
            "session_date": "2026-03-04",
            "answers": {"dose_mg": 56, "route": "esketamine"},
        },
    )
    files = stored_files(clinic.location)  # database, WAL and any journal
    assert files
    for needle in [
        b"Zebulon",
        b"Quixotic",
        b"1977-07-07",
        b"2026-03-04",
        b"dosing",
        b"esketamine",
        b"dose_mg",
    ]:
        assert [name for name, raw in files.items() if needle in raw] == []


def test_a_requested_grant_waits_for_the_treating_therapists_approval(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", **synthetic_patient()})
    assert access.grant(clinic.unlock("ada"), patient, "theo") == "pending"
    clinic.unlock("tess")  # unlocking grants nothing
    with pytest.raises(NotAuthorised):
        clinic.unlock("theo").read_patient(patient)
    tess = clinic.unlock("tess")
    [request] = access.pending_requests(tess)
    assert (request.patient_id, request.user_name, request.requested_by) == (patient, "theo", "ada")
    access.approve_grant(tess, patient, "theo")
    assert access.pending_requests(tess) == []
    assert len(clinic.unlock("theo").read_patient(patient)) == 1
    actions = [r.action for r in clinic.vault.store.audit_rows(patient)]
    assert "grant_request" in actions
    assert "grant" in actions


def test_swapped_break_glass_key_is_detected_and_never_used(clinic: Clinic) -> None:
    # Given an attacker who replaces the stored break-glass public key with their own
    attacker = crypto.KeyPair.generate()
    with raw_db(clinic.location) as db:
        db.execute(
            "UPDATE meta SET value = ? WHERE key = 'break_glass_public'",
            (attacker.box_public.hex(),),
        )
    # Then verification reports it, and no new patient key is ever wrapped to it
    report = audit.verify_chain(clinic.vault.store, clinic.vault.vault_id)
    assert "the break-glass public key differs from the one signed at init" in report.problems
    with pytest.raises(IntegrityError, match="break-glass"):
        clinic.unlock("tess").create_patient({"kind": "patient", **synthetic_patient()})
    assert query(clinic.location, "SELECT COUNT(*) FROM wraps") == [(0,)]


def test_swapped_user_key_gets_no_new_wraps(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    attacker = crypto.KeyPair.generate()
    with raw_db(clinic.location) as db:
        db.execute("UPDATE users SET box_public = ? WHERE name = 'sam'", (attacker.box_public,))
    # sam supervises tess: a new patient would be wrapped to sam's (now swapped) key
    # wraps go to the key signed when sam was added, never to the table's: sam still reads
    patient = tess.create_patient({"kind": "patient", **synthetic_patient()})
    assert clinic.unlock("sam").read_patient(patient)
    report = audit.verify_chain(clinic.vault.store, clinic.vault.vault_id)
    assert any("public keys differ" in p for p in report.problems)
