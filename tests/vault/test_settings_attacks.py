"""Clinic settings are facts of the signed log: someone who can write the database (plain SQL plus
entries signed with their own key) cannot change them. Each attempt is refused or detected: unlock
and every settings read raise ``IntegrityError`` naming the entry, ``audit verify`` reports it,
and nobody is ever shown the forged values. On SQLite and PostgreSQL (see conftest)."""

from __future__ import annotations

import json

import pytest

from kap_notes.forms import ClinicSettings
from kap_notes.service import settings as clinic_settings
from kap_notes.vault import audit
from kap_notes.vault.errors import IntegrityError, NotAuthorised
from kap_notes.vault.store import AuditRow
from tests.conftest import PASSPHRASES
from tests.vault.conftest import Clinic

from ._attacker import append_signed, assert_names_entry, assert_reported, query, user_id

FORGED = {**ClinicSettings().as_mapping(), "systolic_alert_mmhg": 250, "diastolic_alert_mmhg": 150}


def verify(clinic: Clinic) -> audit.VerifyReport:
    vault = clinic.open()
    return audit.verify_chain(vault.store, vault.vault_id)


def forged_entry(clinic: Clinic, signer: str, actor: str, version: int = 1) -> AuditRow:
    """A ``settings`` entry for ``actor`` signed with ``signer``'s own key, appended directly."""
    keys = clinic.unlock(signer).key_pair
    data = {"version": version, "values": FORGED}
    return append_signed(clinic.vault.store, keys, actor, "settings", data=data)


def assert_refused(clinic: Clinic, entry: AuditRow) -> None:
    """Unlock stops naming ``entry``; verify reports it; nobody reads the forged values."""
    for name in ("tess", "ada"):
        with pytest.raises(IntegrityError) as raised:
            clinic.unlock(name)
        assert_names_entry(str(raised.value), entry.seq)
    assert_reported(verify(clinic), f"audit entry {entry.seq}")


def test_a_therapist_signing_clinic_settings_is_refused(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")  # a long-lived session (a Jupyter server), opened before
    # When theo signs a settings entry with his own key and appends it
    entry = forged_entry(clinic, "theo", user_id(clinic.location, "theo"))
    # Then every read of the settings fails loudly instead of using the forged values
    with pytest.raises(IntegrityError):
        tess.clinic_settings()
    assert_refused(clinic, entry)


def test_a_settings_entry_in_the_admins_name_with_another_key_is_refused(clinic: Clinic) -> None:
    entry = forged_entry(clinic, "theo", clinic.admin.user_id)
    assert_refused(clinic, entry)


def test_a_role_column_edited_to_admin_signs_no_settings(clinic: Clinic) -> None:
    query(clinic.location, "UPDATE users SET role = 'admin' WHERE name = 'theo'")
    theo = clinic.unlock("theo")
    with pytest.raises(NotAuthorised):  # the library asks the signed log, not the column
        clinic_settings.change(theo, {"systolic_alert_mmhg": 250})
    with pytest.raises(NotAuthorised):  # and the log refuses the entry even at the vault layer
        theo.set_clinic_settings(FORGED)
    assert clinic.unlock("tess").clinic_settings() == (ClinicSettings(), 0)


def test_editing_the_admins_settings_entry_is_detected(clinic: Clinic) -> None:
    # Given the admin set a threshold of 140 (version 1)
    clinic_settings.change(clinic.admin, {"systolic_alert_mmhg": 140})
    rows = query(clinic.location, "SELECT seq, entry FROM audit WHERE action = 'settings'", ())
    seq, raw = int(rows[0][0]), bytes(rows[0][1])
    # When an attacker rewrites its values in the stored entry
    fields = json.loads(raw)
    fields["data"]["values"]["systolic_alert_mmhg"] = 250
    edited = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    query(clinic.location, "UPDATE audit SET entry = ? WHERE seq = ?", (edited, seq))
    # Then unlock stops at that entry and verify reports it
    with pytest.raises(IntegrityError) as raised:
        clinic.open().unlock("tess", PASSPHRASES["tess"])
    assert_names_entry(str(raised.value), seq)
    assert_reported(verify(clinic), f"audit entry {seq}")


def test_a_genuine_admin_change_is_accepted_by_every_reader(clinic: Clinic) -> None:
    # (the control: the same path with an admin's own signature works and verifies)
    clinic_settings.change(clinic.admin, {"systolic_alert_mmhg": 140})
    assert clinic.unlock("tess").clinic_settings()[1] == 1
    assert verify(clinic).ok
