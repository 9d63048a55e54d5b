"""Fixtures for the vault robustness suite: a small synthetic clinic in a real vault, once in
SQLite and once in PostgreSQL (see tests/postgres/fixtures.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from kap_notes.model.people import Role
from kap_notes.vault import access
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.session import Session
from kap_notes.vault.vault import Vault
from tests.postgres import fixtures

pg_server = fixtures.pg_server
vault_backend = fixtures.vault_backend
vault_locations = fixtures.vault_locations
vault_location = fixtures.vault_location

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

    location: str  # a directory (SQLite) or a postgresql:// URL
    admin: Session
    break_glass_code: str
    recovery_codes: dict[str, str]
    user_ids: dict[str, str]
    _vaults: list[Vault] = field(default_factory=list)

    def open(self) -> Vault:
        vault = Vault.open(self.location, kdf_floor=FAST_KDF)
        self._vaults.append(vault)
        return vault

    def unlock(self, name: str, passphrase: str | None = None) -> Session:
        """A fresh ``Vault.open`` + ``unlock`` (its own database connection)."""
        return self.open().unlock(name, passphrase or PASSPHRASES[name])

    def close(self) -> None:
        for vault in self._vaults:
            vault.close()
        self.admin.vault.close()


#: Make another empty vault location of the test's backend.
NewLocation = Callable[[], str]


def make_clinic(location: str) -> Clinic:
    created = Vault.init(
        location,
        admin_name="ada",
        admin_passphrase=PASSPHRASES["ada"],
        kdf=FAST_KDF,
        kdf_floor=FAST_KDF,
    )
    codes = {"ada": created.recovery_code}
    ids = {"ada": created.admin.user_id}
    for name, role in ROLES.items():
        ids[name], codes[name] = access.add_user(created.admin, name, role, PASSPHRASES[name])
    return Clinic(location, created.admin, created.break_glass_code, codes, ids)


@pytest.fixture
def clinic(vault_location: str) -> Iterator[Clinic]:
    """A fresh clinic vault (``tmp_path/vault`` or a new PostgreSQL database)."""
    made = make_clinic(vault_location)
    yield made
    made.close()
