"""Issue 12, observation 3: a full, read-only or failing disk under a SQLite vault.

The vault lives on a real 2 MiB filesystem (tmpfs, or a loop-mounted image): filling it makes
every save fail with StorageFull (HTTP 507) and a message a clinician can act on, while reading
goes on (the read's audit entry waits in the session, with the time of the read, and is written
before the next write). Once space returns every acknowledged save is there and the chain
verifies. A read-only disk is StorageUnavailable (503).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kap_notes.agent.keyholder import KeyHolder
from kap_notes.errors import StorageFull, StorageUnavailable
from kap_notes.vault import audit
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.faults import NOT_SAVED
from kap_notes.vault.vault import Vault
from tests.vault_robustness._helpers import audit_actions, query
from tests.vault_robustness._smallfs import SmallFs, small_filesystem
from tests.vault_robustness.conftest import PASSPHRASES, Clinic, make_clinic


@pytest.fixture
def smallfs(tmp_path: Path) -> Iterator[SmallFs]:
    with small_filesystem(tmp_path) as mounted:
        yield mounted


@pytest.fixture
def clinic_on_smallfs(smallfs: SmallFs) -> Iterator[Clinic]:
    made = make_clinic(str(smallfs.path / "vault"))
    yield made
    made.close()


def _reads(location: str) -> list[str]:
    """The time stamps of the chain's read entries, in chain order."""
    rows = query(location, "SELECT entry FROM audit WHERE action = 'read' ORDER BY seq")
    return [json.loads(bytes(r[0]))["ts"] for r in rows]


def test_a_full_disk_refuses_saves_keeps_reading_and_loses_nothing(
    clinic_on_smallfs: Clinic, smallfs: SmallFs
) -> None:
    clinic = clinic_on_smallfs
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Full Disk"})
    acknowledged = {tess.put_record(patient, {"kind": "note", "n": n})[0] for n in range(3)}
    smallfs.fill()
    # a save fails with 507 and says what happened and what to do
    with pytest.raises(StorageFull) as refused:
        tess.put_record(patient, {"kind": "note", "n": "lost"})
    assert refused.value.status == 507
    message = str(refused.value)
    assert message.startswith("The vault's disk is full: " + NOT_SAVED)
    assert "free space" in message
    # reading goes on; its audit entry waits for space
    reads_before = _reads(clinic.location)
    records = tess.read_patient(patient)
    assert {r.record_id for r in records} >= acknowledged
    assert tess.deferred_audit == 1
    assert _reads(clinic.location) == reads_before
    # space returns: the next save works and writes the waiting read first, with its own time
    smallfs.free()
    after, _ = tess.put_record(patient, {"kind": "note", "n": "after"})
    assert tess.deferred_audit == 0
    reads = _reads(clinic.location)
    assert len(reads) == len(reads_before) + 1
    assert audit_actions(clinic.location)[-2:] == ["read", "create"]
    # everything acknowledged is there, nothing of the refused save, and the chain verifies
    fresh = clinic.unlock("ada")
    stored = {r.record_id: r.content for r in clinic.unlock("tess").read_patient(patient)}
    assert acknowledged | {after} <= stored.keys()
    assert "lost" not in [c.get("n") for c in stored.values()]
    assert audit.verify_chain(fresh.store, fresh.vault.vault_id).ok


def test_an_export_is_not_audited_later(clinic_on_smallfs: Clinic, smallfs: SmallFs) -> None:
    # Only reads may wait for space: anything else that must be audited fails with 507.
    tess = clinic_on_smallfs.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Export"})
    smallfs.fill()
    with pytest.raises(StorageFull):
        tess.log("export", patient)
    assert tess.deferred_audit == 0


def test_lock_writes_waiting_reads_once_space_is_back(
    clinic_on_smallfs: Clinic, smallfs: SmallFs
) -> None:
    clinic = clinic_on_smallfs
    holder = KeyHolder(clinic.location, kdf_floor=FAST_KDF)
    holder.unlock("tess", PASSPHRASES["tess"])
    holder.run("add_patient", {"data": {"name": "Synthetic Lock", "sex": "unknown"}})
    reads_before = len(_reads(clinic.location))
    smallfs.fill()
    assert len(holder.run("list_patients", {})) == 1  # a read while the disk is full
    smallfs.free()
    holder.lock()
    assert len(_reads(clinic.location)) == reads_before + 1
    assert holder.status()["unlocked"] is False


def test_a_read_only_disk_is_unavailable_until_it_is_writable_again(
    clinic_on_smallfs: Clinic, smallfs: SmallFs
) -> None:
    clinic = clinic_on_smallfs
    clinic.close()  # a read-only remount needs every file closed for writing
    smallfs.remount(read_only=True)
    with pytest.raises(StorageUnavailable) as refused:
        Vault.open(clinic.location, kdf_floor=FAST_KDF).unlock("tess", PASSPHRASES["tess"])
    assert refused.value.status == 503
    assert "The vault's disk is read-only" in str(refused.value)
    assert "ask your clinic's admin to check the disk" in str(refused.value).lower()
    smallfs.remount(read_only=False)
    tess = clinic.unlock("tess")
    assert tess.create_patient({"kind": "patient", "name": "Synthetic Writable"})
