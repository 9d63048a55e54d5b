"""Fixtures for the vault robustness suite: a small synthetic clinic in a real SQLite vault."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kap_notes.model.people import Role
from kap_notes.vault import access
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.session import Session
from kap_notes.vault.vault import Vault

PASSPHRASES = {
    "ada": "ada admin passphrase",
    "tess": "tess therapist passphrase",
    "theo": "theo therapist passphrase",
    "sam": "sam supervisor passphrase",
}
ROLES = {"tess": Role.THERAPIST, "theo": Role.THERAPIST, "sam": Role.SUPERVISOR}


@dataclass
class Clinic:
    """A vault with admin ada, therapists tess and theo, supervisor sam (no patients yet)."""

    path: Path
    admin: Session
    break_glass_code: str
    recovery_codes: dict[str, str]
    user_ids: dict[str, str]
    _vaults: list[Vault] = field(default_factory=list)

    def open(self) -> Vault:
        vault = Vault.open(self.path, kdf_floor=FAST_KDF)
        self._vaults.append(vault)
        return vault

    def unlock(self, name: str, passphrase: str | None = None) -> Session:
        """A fresh ``Vault.open`` + ``unlock`` (its own SQLite connection)."""
        return self.open().unlock(name, passphrase or PASSPHRASES[name])

    def close(self) -> None:
        for vault in self._vaults:
            vault.close()
        self.admin.vault.close()


def make_clinic(path: Path) -> Clinic:
    created = Vault.init(
        path,
        admin_name="ada",
        admin_passphrase=PASSPHRASES["ada"],
        kdf=FAST_KDF,
        kdf_floor=FAST_KDF,
    )
    codes = {"ada": created.recovery_code}
    ids = {"ada": created.admin.user_id}
    for name, role in ROLES.items():
        ids[name], codes[name] = access.add_user(created.admin, name, role, PASSPHRASES[name])
    return Clinic(path, created.admin, created.break_glass_code, codes, ids)


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    """A fresh clinic vault under ``tmp_path/vault``."""
    made = make_clinic(tmp_path / "vault")
    yield made
    made.close()
