"""Issue 12, observation 3, through REST: a real jupyter_server whose SQLite vault lives on a real
2 MiB filesystem (tmpfs, or a loop image). A full disk answers 507 with a message a clinician can
act on (not 500 "Unhandled error"), reading goes on, and once space returns every acknowledged
save is there and ``kap-notes audit verify`` passes. A read-only disk answers 503."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kap_notes.service.synthetic import synthetic_course
from tests.cli_runner import Cli
from tests.conftest import PASSPHRASES, create_clinic_vault
from tests.server.api import Fetch, call, failure
from tests.vault_robustness._smallfs import SmallFs, small_filesystem

DISK_FULL = "The vault's disk is full: nothing was saved; what you typed is still in the form"


@pytest.fixture
def smallfs(tmp_path: Path) -> Iterator[SmallFs]:
    with small_filesystem(tmp_path) as mounted:
        yield mounted


@pytest.fixture
def vault_on_smallfs(smallfs: SmallFs) -> Path:
    path = smallfs.path / "vault"
    created, _codes = create_clinic_vault(path)
    created.vault.close()
    return path


@pytest.fixture
def jp_server_config(vault_on_smallfs: Path) -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {"kap_notes.server": True},
            "allow_unauthenticated_access": False,
        },
        "KapNotesApp": {"vault": str(vault_on_smallfs), "fast_kdf": True},
    }


async def _save(fetch: Fetch, patient: str, hopes: str) -> dict[str, Any]:
    body = {"patient_id": patient, "form": "intention", "answers": {"hopes": hopes}}
    return dict(await call(fetch, "ops/save_draft", body))


async def test_a_full_disk_answers_507_and_loses_nothing(
    jp_fetch: Fetch, smallfs: SmallFs, vault_on_smallfs: Path
) -> None:
    await call(jp_fetch, "unlock", {"user": "tess", "passphrase": PASSPHRASES["tess"]})
    course = synthetic_course(12, start=dt.date(2026, 7, 6))
    patient = (await call(jp_fetch, "ops/add_patient", {"data": course.profile}))["patient_id"]
    acknowledged = {(await _save(jp_fetch, patient, f"hope {n}"))["note_id"] for n in range(3)}
    smallfs.fill()
    body = {"patient_id": patient, "form": "intention", "answers": {"hopes": "typed, not saved"}}
    code, error = await failure(jp_fetch, "ops/save_draft", body)
    assert code == 507, error
    assert DISK_FULL in error["error"]
    assert error["type"] == "StorageFull"
    # reading goes on while the disk is full
    notes = await call(jp_fetch, "ops/list_notes", {"patient_id": patient})
    assert {n["note_id"] for n in notes} == acknowledged
    # space returns: saving works again, and nothing acknowledged is missing
    smallfs.free()
    acknowledged.add((await _save(jp_fetch, patient, "after the disk was freed"))["note_id"])
    notes = await call(jp_fetch, "ops/list_notes", {"patient_id": patient})
    assert {n["note_id"] for n in notes} == acknowledged
    await call(jp_fetch, "lock", {})
    verified = Cli(vault_on_smallfs)("audit", "verify", user="ada", passphrase=PASSPHRASES["ada"])
    assert verified.returncode == 0


async def test_a_read_only_disk_answers_503(jp_fetch: Fetch, smallfs: SmallFs) -> None:
    # The vault was locked (every connection closed) when the disk went read-only.
    smallfs.remount(read_only=True)
    unlock = {"user": "tess", "passphrase": PASSPHRASES["tess"]}
    code, error = await failure(jp_fetch, "unlock", unlock)
    assert code == 503, error
    assert error["type"] == "StorageUnavailable"
    assert "The vault's disk is read-only" in error["error"]
    smallfs.remount(read_only=False)
    status = await call(jp_fetch, "unlock", unlock)
    assert status["unlocked"] is True
