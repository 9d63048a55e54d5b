"""The vault suite runs once per backend: ``clinic`` here is the shared clinic of
tests/conftest.py, built in a SQLite directory or in a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from kap_notes.vault.crypto import FAST_KDF, KdfParams
from kap_notes.vault.session import Session
from kap_notes.vault.vault import Vault
from tests.conftest import PASSPHRASES, create_clinic_vault
from tests.postgres import fixtures

pg_server = fixtures.pg_server
vault_backend = fixtures.vault_backend
vault_locations = fixtures.vault_locations
vault_location = fixtures.vault_location


@dataclass
class Clinic:
    """Admin ada, therapists tess and theo, supervisor sam (supervising tess), in one backend."""

    location: str
    backend: str
    vault: Vault
    admin: Session
    break_glass_code: str
    recovery_codes: dict[str, str]
    _vaults: list[Vault] = field(default_factory=list)

    def open(self, kdf_floor: KdfParams = FAST_KDF) -> Vault:
        """``Vault.open`` of this clinic (closed at the end of the test)."""
        vault = Vault.open(self.location, kdf_floor=kdf_floor)
        self._vaults.append(vault)
        return vault

    def unlock(self, name: str) -> Session:
        return self.open().unlock(name, PASSPHRASES[name])

    def close(self) -> None:
        for vault in [*self._vaults, self.vault]:
            vault.close()


@pytest.fixture
def clinic(vault_location: str, vault_backend: str) -> Iterator[Clinic]:
    created, codes = create_clinic_vault(vault_location)
    made = Clinic(
        vault_location,
        vault_backend,
        created.vault,
        created.admin,
        created.break_glass_code,
        codes,
    )
    yield made
    made.close()
