"""Break-glass access is audited, shown to the treating therapist, and ends when it expires
(a clinic setting, 24 h by default): the next key epoch is never wrapped to the emergency user."""

from __future__ import annotations

import datetime as dt

import pytest

from kap_notes.vault import access, audit, session
from kap_notes.vault.errors import NotAuthorised
from tests.vault.conftest import Clinic


def _later(hours: int) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=hours)).isoformat()


def test_break_glass_is_told_to_the_owner_and_expires(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given tess's patient and theo, who is not authorised for it
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic BG"})
    # When theo uses the sealed break-glass code
    theo = clinic.unlock("theo")
    access.break_glass(theo, clinic.break_glass_code, patient, "Emergency: patient unreachable")
    # Then he reads the patient, and tess is told at her next unlock
    assert theo.read_patient(patient)
    notices = clinic.unlock("tess").notices
    assert any("theo used break-glass" in n and "until" in n for n in notices)

    # When a day and an hour have passed
    monkeypatch.setattr(session, "now_utc", lambda: _later(25))
    monkeypatch.setattr(access, "now_utc", lambda: _later(25))
    # Then theo's access has ended, and tess's next unlock rotates the key away from him
    with pytest.raises(NotAuthorised):
        clinic.unlock("theo").read_patient(patient)
    tess = clinic.unlock("tess")
    assert any("expired, access ended" in n for n in tess.notices)
    epoch = tess.patient(patient).epoch
    assert epoch == 2
    assert clinic.vault.store.get_wrap(patient, epoch, theo.user_id) is None
    assert clinic.vault.store.get_wrap(patient, 1, theo.user_id) is None
    record, _ = tess.put_record(patient, {"kind": "note", "text": "after the emergency"})
    with pytest.raises(NotAuthorised):
        clinic.unlock("theo").get_record(record)
    assert audit.verify_chain(clinic.vault.store, clinic.vault.vault_id).ok


def test_a_forged_break_glass_entry_opens_nothing_and_is_shown(clinic: Clinic) -> None:
    # Given tess's patient
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic BG2"})
    # When theo, without the code, appends a break-glass entry he signs, naming made-up wraps
    theo = clinic.unlock("theo")
    fake = [[patient, 1, theo.user_id, "00" * 32]]
    event = audit.AuditEvent(
        theo.user_id,
        "break_glass",
        patient,
        theo.user_id,
        data={"user": theo.user_id, "expires": _later(24), "wraps": fake},
    )
    with theo.store.transaction():
        theo.store.append_audit(event.builder(theo.sign_bytes))
    # Then he still cannot read, the owner sees the claimed use, and rotations leave him out
    with pytest.raises(NotAuthorised):
        clinic.unlock("theo").read_patient(patient)
    tess = clinic.unlock("tess")
    assert any("theo used break-glass" in n for n in tess.notices)
    access.rotate(tess, patient)
    assert clinic.vault.store.get_wrap(patient, 2, theo.user_id) is None
    problems = audit.verify_chain(clinic.vault.store, clinic.vault.vault_id).problems
    assert any(f"for {theo.user_id}: missing" in p for p in problems)
