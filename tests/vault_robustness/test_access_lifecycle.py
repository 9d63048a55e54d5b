"""Who can open what, through every access change, and that each change is audited."""

from __future__ import annotations

import pytest

from kap_notes.vault import access, audit, crypto
from kap_notes.vault.errors import NotAuthorised, WrongPassphrase
from kap_notes.vault.ids import BREAK_GLASS

from ._helpers import query
from .conftest import PASSPHRASES, Clinic, NewLocation, make_clinic


def _head(clinic: Clinic) -> int:
    return int(query(clinic.location, "SELECT COALESCE(MAX(seq), 0) FROM audit")[0][0])


def _entries(clinic: Clinic, after: int) -> list[tuple[str, str, str | None, str | None]]:
    """(actor name, action, patient, record) of every audit entry after ``after``."""
    names = {uid: name for name, uid in clinic.user_ids.items()}
    rows = query(
        clinic.location,
        "SELECT actor, action, patient, record FROM audit WHERE seq > ? ORDER BY seq",
        (after,),
    )
    return [(names[a], act, p, r) for a, act, p, r in rows]


def _verifies(clinic: Clinic) -> None:
    vault = clinic.open()
    report = audit.verify_chain(vault.store, vault.vault_id)
    assert report.ok, report.problems


def test_rotation_starts_a_new_epoch_and_keeps_old_records(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic K"})
    old, _ = tess.put_record(patient, {"kind": "note", "text": "before"})
    mark = _head(clinic)

    assert access.rotate(clinic.admin, patient) == 2  # an admin can rotate without the key

    fresh = clinic.unlock("tess")
    assert fresh.patient(patient).epoch == 2
    assert fresh.get_record(old).epoch == 1
    assert fresh.get_record(old).content["text"] == "before"
    new, _ = fresh.put_record(patient, {"kind": "note", "text": "after"})
    assert fresh.get_record(new).epoch == 2
    assert crypto.read_record_header(fresh.store.get_record(new).blob).epoch == 2
    assert sorted(fresh.store.wrap_recipients(patient, 2)) == sorted(
        [BREAK_GLASS, clinic.user_ids["tess"]]
    )
    assert ("ada", "rotate", patient, None) in _entries(clinic, mark)
    _verifies(clinic)


def test_passphrase_change(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic L"})
    rid, _ = tess.put_record(patient, {"kind": "note", "text": "kept"})
    mark = _head(clinic)

    code = tess.change_passphrase("a brand new passphrase")

    with pytest.raises(WrongPassphrase):
        clinic.unlock("tess", PASSPHRASES["tess"])
    again = clinic.unlock("tess", "a brand new passphrase")
    assert again.get_record(rid).content["text"] == "kept"
    assert again.read_patient(patient)
    assert code != clinic.recovery_codes["tess"]
    assert ("tess", "passwd", None, clinic.user_ids["tess"]) in _entries(clinic, mark)
    _verifies(clinic)


def test_recovery_code_works_once_and_is_replaced(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic M"})
    rid, _ = tess.put_record(patient, {"kind": "note", "text": "still here"})
    first = clinic.recovery_codes["tess"]
    mark = _head(clinic)

    session, second = clinic.open().recover("tess", first.lower(), "recovered passphrase")

    assert session.get_record(rid).content["text"] == "still here"
    with pytest.raises(WrongPassphrase):
        clinic.open().recover("tess", first, "another passphrase")
    with pytest.raises(WrongPassphrase):
        clinic.unlock("tess", PASSPHRASES["tess"])
    clinic.unlock("tess", "recovered passphrase")
    assert second != first
    _, third = clinic.open().recover("tess", second, "third passphrase")
    assert third not in (first, second)
    clinic.unlock("tess", "third passphrase")
    recovers = [e for e in _entries(clinic, mark) if e[1] == "recover"]
    assert recovers == [("tess", "recover", None, clinic.user_ids["tess"])] * 2
    _verifies(clinic)


def test_revoked_user_cannot_open_later_records_and_keeps_no_wraps(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic N"})
    assert access.grant(tess, patient, "theo") == "granted"
    theo_before = clinic.unlock("theo")
    early, _ = tess.put_record(patient, {"kind": "note", "text": "shared"})
    assert theo_before.get_record(early).content["text"] == "shared"  # theo caches epoch 1
    mark = _head(clinic)

    assert access.revoke(tess, patient, "theo") == 2
    late, _ = tess.put_record(patient, {"kind": "note", "text": "after revocation"})

    theo = clinic.unlock("theo")
    with pytest.raises(NotAuthorised):
        theo.get_record(late)
    with pytest.raises(NotAuthorised):  # nor with the epoch-1 key cached before revocation
        theo_before.get_record(late)
    assert not theo.has_access(patient)
    theo_id = clinic.user_ids["theo"]
    assert query(
        clinic.location,
        "SELECT COUNT(*) FROM wraps WHERE patient_id = ? AND recipient = ?",
        (patient, theo_id),
    ) == [(0,)]
    assert [p.record_id for p in theo.list_patients()] == []
    entries = _entries(clinic, mark)
    assert ("tess", "revoke", patient, theo_id) in entries
    assert ("tess", "rotate", patient, None) in entries
    _verifies(clinic)


def test_admin_reads_no_notes_unless_granted(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic O"})
    rid, _ = tess.put_record(patient, {"kind": "note", "text": "private"})
    admin = clinic.unlock("ada")

    with pytest.raises(NotAuthorised):
        admin.get_record(rid)
    with pytest.raises(NotAuthorised):
        admin.read_patient(patient)
    assert admin.list_patients() == []
    with pytest.raises(NotAuthorised):
        admin.create_patient({"kind": "patient", "name": "Synthetic P"})
    assert query(
        clinic.location, "SELECT COUNT(*) FROM wraps WHERE recipient = ?", (clinic.user_ids["ada"],)
    ) == [(0,)]


def test_admin_grant_waits_for_the_treating_therapists_approval(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Q"})
    access.rotate(tess, patient)  # the grant must cover every epoch
    rid, _ = tess.put_record(patient, {"kind": "note", "text": "for theo"})
    old = tess.store.record_ids(patient)[0][0]
    mark = _head(clinic)

    assert access.grant(clinic.admin, patient, "theo") == "pending"

    theo = clinic.unlock("theo")
    with pytest.raises(NotAuthorised):
        theo.get_record(rid)
    theo_id = clinic.user_ids["theo"]
    pending = "SELECT COUNT(*) FROM pending_grants WHERE patient_id = ? AND user_id = ?"
    assert query(clinic.location, pending, (patient, theo_id)) == [(1,)]
    with pytest.raises(NotAuthorised):  # only the treating therapist approves
        access.approve_grant(clinic.admin, patient, "theo")
    with pytest.raises(NotAuthorised):
        access.approve_grant(theo, patient, "theo")

    tess = clinic.unlock("tess")  # unlocking fulfils nothing
    assert query(clinic.location, pending, (patient, theo_id)) == [(1,)]
    assert not clinic.unlock("theo").has_access(patient)
    assert access.pending_requests(tess) == [access.GrantRequest(patient, "theo", "ada")]

    access.approve_grant(tess, patient, "theo")

    assert query(clinic.location, pending, (patient, theo_id)) == [(0,)]
    assert access.pending_requests(tess) == []
    theo = clinic.unlock("theo")
    assert theo.get_record(rid).content["text"] == "for theo"
    assert theo.get_record(old).epoch == 1
    entries = _entries(clinic, mark)
    assert ("ada", "grant_request", patient, theo_id) in entries
    assert ("tess", "grant", patient, theo_id) in entries
    _verifies(clinic)


def test_denied_request_grants_nothing(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Q2"})
    assert access.grant(clinic.admin, patient, "ada") == "pending"  # an admin asks for themself

    access.deny_grant(tess, patient, "ada")

    assert access.pending_requests(tess) == []
    assert not clinic.unlock("ada").has_access(patient)
    with pytest.raises(NotAuthorised):
        clinic.unlock("ada").read_patient(patient)
    _verifies(clinic)


def test_supervisor_gets_access_once_the_therapist_accepts(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    existing = tess.create_patient({"kind": "patient", "name": "Synthetic R"})
    rid, _ = tess.put_record(existing, {"kind": "note", "text": "for review"})
    theos = clinic.unlock("theo").create_patient({"kind": "patient", "name": "Synthetic S"})
    mark = _head(clinic)

    assert access.assign_supervisor(clinic.admin, "sam", "tess") == 1
    with pytest.raises(NotAuthorised):
        access.assign_supervisor(clinic.admin, "theo", "tess")  # not a supervisor
    with pytest.raises(NotAuthorised):  # only the therapist it was proposed to accepts
        access.accept_supervisor(clinic.unlock("theo"), "sam")

    sam = clinic.unlock("sam")
    with pytest.raises(NotAuthorised):
        sam.get_record(rid)
    tess = clinic.unlock("tess")  # unlocking accepts nothing
    assert not clinic.unlock("sam").has_access(existing)
    assert access.proposed_supervisors(tess) == ["sam"]

    assert access.accept_supervisor(tess, "sam") == 1

    assert access.proposed_supervisors(tess) == []
    sam = clinic.unlock("sam")
    assert sam.get_record(rid).content["text"] == "for review"
    later = clinic.unlock("tess").create_patient({"kind": "patient", "name": "Synthetic T"})
    assert sam.has_access(later)  # new patients are shared at once
    assert not sam.has_access(theos)  # theo's patients are not
    sam_id = clinic.user_ids["sam"]
    entries = _entries(clinic, mark)
    assert ("ada", "supervise", None, sam_id) in entries
    assert ("tess", "supervise_accept", None, sam_id) in entries
    _verifies(clinic)


def test_break_glass(clinic: Clinic, vault_locations: NewLocation) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic U"})
    access.rotate(tess, patient)
    rid, _ = tess.put_record(patient, {"kind": "note", "text": "emergency info"})
    admin = clinic.unlock("ada")
    other_vault = make_clinic(vault_locations())
    mark = _head(clinic)
    reason = "patient unresponsive; treating therapist unreachable"

    with pytest.raises(NotAuthorised):
        access.break_glass(admin, clinic.break_glass_code, patient, "   because ")
    with pytest.raises(WrongPassphrase):
        access.break_glass(admin, other_vault.break_glass_code, patient, reason)
    with pytest.raises(WrongPassphrase):
        access.break_glass(admin, "BG-NOT-A-CODE", patient, reason)
    other_vault.close()
    assert _entries(clinic, mark) == []  # failed attempts grant and record nothing
    with pytest.raises(NotAuthorised):
        admin.get_record(rid)

    reason_id = access.break_glass(admin, clinic.break_glass_code, patient, reason)

    assert admin.get_record(rid).content["text"] == "emergency info"
    assert admin.get_record(reason_id).content["reason"] == reason
    assert tess.get_record(reason_id).content["reason"] == reason  # visible to the therapist
    ada = clinic.user_ids["ada"]
    entries = _entries(clinic, mark)
    assert entries[0] == ("ada", "break_glass", patient, ada)
    assert ("ada", "create", patient, reason_id) in entries
    assert query(
        clinic.location,
        "SELECT epoch FROM wraps WHERE patient_id = ? AND recipient = ? ORDER BY epoch",
        (patient, ada),
    ) == [(1,), (2,)]
    _verifies(clinic)
