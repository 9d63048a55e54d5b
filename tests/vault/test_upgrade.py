"""A vault made by release 1 (tests/data/release1, synthetic) upgrades once and then holds
the new trust model: its notes read the same, and the old weaknesses are closed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kap_notes.records import chart
from kap_notes.service.demo import DEMO_USERS
from kap_notes.vault import access, audit
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.errors import NotAuthorised, VaultNotFound
from kap_notes.vault.upgrade import upgrade
from kap_notes.vault.vault import FORMAT, Vault
from tests.postgres.harness import raw_db

RELEASE1 = Path(__file__).parent.parent / "data" / "release1"


def _pass(name: str) -> str:
    return DEMO_USERS[name][1]


@pytest.fixture
def old_vault(tmp_path: Path) -> Path:
    path = tmp_path / "vault"
    path.mkdir()
    shutil.copy(RELEASE1 / "vault.sqlite", path / "vault.sqlite")
    return path


def test_an_old_vault_asks_for_the_upgrade_and_only_its_creator_runs_it(old_vault: Path) -> None:
    vault = Vault.open(old_vault, kdf_floor=FAST_KDF)
    with pytest.raises(VaultNotFound, match="vault upgrade"):
        vault.unlock("tess", _pass("tess"))
    with pytest.raises(NotAuthorised, match="created the vault"):
        upgrade(vault, "tess", _pass("tess"))


def test_upgrade_keeps_every_note_and_access_and_verifies(old_vault: Path) -> None:
    before = Vault.open(old_vault, kdf_floor=FAST_KDF)
    legacy = audit.verify_chain(before.store, before.vault_id)
    assert legacy.ok, legacy.problems

    rotated = upgrade(before, "ada", _pass("ada"))

    vault = Vault.open(old_vault, kdf_floor=FAST_KDF)
    assert vault.format == FORMAT
    report = audit.verify_chain(vault.store, vault.vault_id)
    assert report.ok, report.problems
    assert report.records == legacy.records
    tess = vault.unlock("tess", _pass("tess"))
    patients = tess.readable_patients()
    assert (rotated, len(patients)) == (2, 1)
    notes = chart.chart(tess, patients[0]).notes
    assert notes
    assert all(v.signature_valid for v in notes if v.note.signature is not None)
    # sam still supervises; theo (another therapist) still cannot read tess's patient
    assert chart.chart(vault.unlock("sam", _pass("sam")), patients[0]).notes
    with pytest.raises(NotAuthorised):
        vault.unlock("theo", _pass("theo")).read_patient(patients[0])


def test_after_the_upgrade_a_database_writer_gains_nothing(old_vault: Path) -> None:
    upgrade(Vault.open(old_vault, kdf_floor=FAST_KDF), "ada", _pass("ada"))
    vault = Vault.open(old_vault, kdf_floor=FAST_KDF)
    tess = vault.unlock("tess", _pass("tess"))
    [patient] = tess.readable_patients()
    theo = vault.unlock("theo", _pass("theo"))
    with raw_db(str(old_vault)) as db:  # theo writes the tables directly
        db.execute(
            "INSERT INTO pending_grants (patient_id, user_id) VALUES (?, ?)",
            (patient, theo.user_id),
        )
        db.execute(
            "INSERT INTO supervision (supervisor_id, therapist_id) VALUES (?, ?)",
            (theo.user_id, tess.user_id),
        )
    new = vault.unlock("tess", _pass("tess")).create_patient({"kind": "patient", "name": "X"})
    theo = vault.unlock("theo", _pass("theo"))
    for target in (patient, new):
        with pytest.raises(NotAuthorised):
            theo.read_patient(target)
    problems = audit.verify_chain(vault.store, vault.vault_id).problems
    assert any("pending grant" in p for p in problems)
    assert any("supervision" in p for p in problems)
    assert access.pending_requests(vault.unlock("tess", _pass("tess"))) == []
