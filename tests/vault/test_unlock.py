"""Unlocking: wrong passphrases, KDF downgrades, recovery codes and locked sessions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kap_notes.vault.crypto import FAST_KDF, MINIMUM_KDF
from kap_notes.vault.errors import VaultLocked, WeakKdfParameters, WrongPassphrase
from kap_notes.vault.vault import Vault
from tests.conftest import PASSPHRASES, synthetic_patient
from tests.postgres.harness import query
from tests.vault.conftest import Clinic


def _key_wrap(clinic: Clinic, name: str) -> dict[str, object]:
    [(wrap,)] = query(clinic.location, "SELECT key_wrap FROM users WHERE name = ?", (name,))
    return dict(json.loads(wrap))


def _set_key_wrap(clinic: Clinic, name: str, wrap: dict[str, object]) -> None:
    query(clinic.location, "UPDATE users SET key_wrap = ? WHERE name = ?", (json.dumps(wrap), name))


def test_wrong_passphrase_is_rejected_with_a_clear_error(clinic: Clinic) -> None:
    vault = clinic.open()
    with pytest.raises(WrongPassphrase, match="wrong user name or passphrase"):
        vault.unlock("tess", "not tess's passphrase")
    assert vault.unlock("tess", PASSPHRASES["tess"]).user.name == "tess"


def test_kdf_parameters_are_authenticated(clinic: Clinic) -> None:
    # Given an attacker who edits the stored parameters but keeps them above the floor
    wrap = _key_wrap(clinic, "tess")
    kdf = dict(wrap["kdf"])  # type: ignore[call-overload]
    kdf["t"] = kdf["t"] + 1
    _set_key_wrap(clinic, "tess", {**wrap, "kdf": kdf})
    # Then even the right passphrase fails: the parameters are associated data
    with pytest.raises(WrongPassphrase):
        clinic.unlock("tess")


def test_kdf_downgrade_below_the_floor_is_refused(clinic: Clinic, tmp_path: Path) -> None:
    # The clinic's vault was made with the test KDF: at the production floor it must refuse
    with pytest.raises(WeakKdfParameters, match="below the minimum"):
        clinic.open(kdf_floor=MINIMUM_KDF).unlock("tess", PASSPHRASES["tess"])
    # and a vault cannot be created with weak parameters unless the floor is lowered explicitly
    with pytest.raises(WeakKdfParameters):
        Vault.init(tmp_path / "weak", admin_name="a", admin_passphrase="x" * 12, kdf=FAST_KDF)


def test_recovery_code_works_once_and_issues_a_new_one(clinic: Clinic) -> None:
    vault = clinic.open()
    session, new_code = vault.recover(
        "tess", clinic.recovery_codes["tess"].lower(), "brand new pass"
    )
    assert session.user.name == "tess"
    assert new_code != clinic.recovery_codes["tess"]
    with pytest.raises(WrongPassphrase):
        vault.recover("tess", clinic.recovery_codes["tess"], "another new pass")
    with pytest.raises(WrongPassphrase):
        vault.unlock("tess", PASSPHRASES["tess"])
    assert vault.unlock("tess", "brand new pass").user.name == "tess"
    assert vault.recover("tess", new_code, "third pass!!")[0].user.name == "tess"


def test_locked_session_refuses_everything_and_forgets_keys(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", **synthetic_patient()})
    tess.lock()
    assert tess.locked
    with pytest.raises(VaultLocked, match="locked"):
        tess.read_patient(patient)
    with pytest.raises(VaultLocked):
        tess.put_record(patient, {"kind": "note"})


def test_the_fast_kdf_switch_works_only_for_a_vault_created_as_a_demo(tmp_path: Path) -> None:
    # Given a real (non-demo) vault: its floor and KDF are signed in its first entry
    path = tmp_path / "real"
    created = Vault.init(
        path, admin_name="ada", admin_passphrase="ada real passphrase", kdf=MINIMUM_KDF
    )
    assert not created.vault.genesis().demo
    # When a database writer lowers the stored KDF setting, and a process asks for the fast floor
    query(str(path), "UPDATE meta SET value = '8192,1,1' WHERE key = 'kdf'")
    vault = Vault.open(path, kdf_floor=FAST_KDF)
    # Then the floor stays the signed one, and new wraps keep the signed cost
    assert vault.kdf_floor.at_least(MINIMUM_KDF)
    session = vault.unlock("ada", "ada real passphrase")
    session.change_passphrase("ada new real passphrase")
    [(wrap,)] = query(str(path), "SELECT key_wrap FROM users WHERE name = 'ada'")
    assert json.loads(wrap)["kdf"]["m"] == MINIMUM_KDF.memory_kib
    # and a wrap rewritten at the fast cost is refused before any derivation
    weak = {**json.loads(wrap), "kdf": {"alg": "argon2id", "m": 8192, "t": 1, "p": 1}}
    query(str(path), "UPDATE users SET key_wrap = ? WHERE name = 'ada'", (json.dumps(weak),))
    with pytest.raises(WeakKdfParameters):
        Vault.open(path, kdf_floor=FAST_KDF).unlock("ada", "ada new real passphrase")


def test_a_demo_vault_says_so_in_its_signed_first_entry(clinic: Clinic) -> None:
    assert clinic.open().genesis().demo
    assert clinic.open(kdf_floor=FAST_KDF).kdf_floor == FAST_KDF
