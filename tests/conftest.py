"""Shared fixtures: real vaults on disk with the fast (test-only) KDF and synthetic people."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from kap_notes.model.people import Role
from kap_notes.vault import access
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.session import Session
from kap_notes.vault.vault import Created, Vault

pytest_plugins = ["pytest_jupyter.jupyter_server"]

PASSPHRASES = {
    "ada": "ada test passphrase",
    "tess": "tess test passphrase",
    "theo": "theo test passphrase",
    "sam": "sam test passphrase",
}


@dataclass
class Clinic:
    """A small clinic: admin ada, therapists tess and theo, supervisor sam (supervising tess)."""

    path: Path
    vault: Vault
    admin: Session
    break_glass_code: str
    recovery_codes: dict[str, str]

    def unlock(self, name: str) -> Session:
        return Vault.open(self.path, kdf_floor=FAST_KDF).unlock(name, PASSPHRASES[name])


def create_clinic_vault(location: str | Path) -> tuple[Created, dict[str, str]]:
    """A vault (any backend) with ada, tess, theo and sam, sam supervising tess; recovery codes."""
    created = Vault.init(
        location,
        admin_name="ada",
        admin_passphrase=PASSPHRASES["ada"],
        kdf=FAST_KDF,
        kdf_floor=FAST_KDF,
    )
    codes = {"ada": created.recovery_code}
    for name, role in [
        ("tess", Role.THERAPIST),
        ("theo", Role.THERAPIST),
        ("sam", Role.SUPERVISOR),
    ]:
        _, codes[name] = access.add_user(created.admin, name, role, PASSPHRASES[name])
    access.assign_supervisor(created.admin, "sam", "tess")
    tess = created.vault.unlock("tess", PASSPHRASES["tess"])
    access.accept_supervisor(tess, "sam")
    return created, codes


@pytest.fixture
def clinic(tmp_path: Path) -> Clinic:
    path = tmp_path / "vault"
    created, codes = create_clinic_vault(path)
    return Clinic(path, created.vault, created.admin, created.break_glass_code, codes)


def synthetic_patient(n: int = 1) -> dict[str, str]:
    """Registration input for a made-up person."""
    return {
        "name": f"Synthetic Person {n}",
        "date_of_birth": "1980-05-17",
        "sex": "unknown",
        "contact": "synthetic",
    }
