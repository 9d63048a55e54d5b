"""Unlock through a real jupyter_server at the real default KDF (Argon2id m=256 MiB, t=3, p=4)
never hangs: overlapping unlocks each get an answer (success, or 503 "busy" with Retry-After),
and wrong passphrases never break the right one."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from kap_notes.model.people import Role
from kap_notes.vault import access, kdf_gate
from kap_notes.vault.crypto import DEFAULT_KDF
from kap_notes.vault.vault import Vault

Fetch = Any
TESS = "tess synthetic passphrase for the default KDF"


@pytest.fixture(scope="module")
def default_kdf_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A vault whose wraps use the default cost: admin ada and therapist tess."""
    path = tmp_path_factory.mktemp("default-kdf") / "vault"
    created = Vault.init(path, admin_name="ada", admin_passphrase="ada synthetic", kdf=DEFAULT_KDF)
    access.add_user(created.admin, "tess", Role.THERAPIST, TESS)
    created.vault.close()
    return path


@pytest.fixture
def jp_server_config(default_kdf_vault: Path) -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {"kap_notes.server": True},
            "allow_unauthenticated_access": False,
        },
        "KapNotesApp": {"vault": str(default_kdf_vault), "fast_kdf": False},
    }


async def unlock(fetch: Fetch, passphrase: str) -> tuple[int, dict[str, Any], str | None]:
    """POST /unlock as tess: (status, JSON body, Retry-After header)."""
    body = json.dumps({"user": "tess", "passphrase": passphrase})
    try:
        response = await fetch("kap-notes", "api", "unlock", method="POST", body=body)
    except HTTPClientError as error:
        if error.response is None:  # no answer at all (e.g. the request timed out)
            raise
        response = error.response
    return response.code, json.loads(response.body), response.headers.get("Retry-After")


def assert_busy(status: int, body: dict[str, Any], retry_after: str | None) -> None:
    assert status == 503
    assert body["type"] == "UnlockBusy"
    assert "try again in a few seconds" in body["error"]
    assert retry_after is not None
    assert int(retry_after) == body["retry_after_seconds"] > 0


async def test_two_concurrent_unlocks_both_answer(jp_fetch: Fetch) -> None:
    # Given two unlocks at the same moment (they used to deadlock OpenSSL and never return)
    answers = await asyncio.gather(unlock(jp_fetch, TESS), unlock(jp_fetch, TESS))
    # Then each one answered: unlocked, or "busy, try again" with Retry-After
    statuses = sorted(status for status, _, _ in answers)
    assert statuses[0] == 200
    for status, body, retry_after in answers:
        if status == 200:
            assert (body["unlocked"], body["user"]) == (True, "tess")
        else:
            assert_busy(status, body, retry_after)
    # and the server still unlocks afterwards (it used to raise MemoryError until restart)
    status, body, _ = await unlock(jp_fetch, TESS)
    assert (status, body["user"]) == (200, "tess")


async def test_wrong_passphrases_then_the_right_one(jp_fetch: Fetch) -> None:
    # Given two wrong passphrases at once, then one wrong one alone
    answers = await asyncio.gather(unlock(jp_fetch, "wrong 1"), unlock(jp_fetch, "wrong 2"))
    for status, body, retry_after in answers:
        if status == 503:
            assert_busy(status, body, retry_after)
        else:
            assert status == 403
            assert "wrong user name or passphrase" in body["error"]
    status, body, _ = await unlock(jp_fetch, "wrong 3")
    assert status == 403
    # Then the right passphrase unlocks (it used to get a 500)
    status, body, _ = await unlock(jp_fetch, TESS)
    assert (status, body["unlocked"]) == (200, True)


async def test_busy_gate_answers_503_with_retry_after(
    jp_fetch: Fetch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a derivation already holding this process's KDF gate
    monkeypatch.setattr(kdf_gate, "WAIT_SECONDS", 0.05)
    with kdf_gate.slot():
        status, body, retry_after = await unlock(jp_fetch, TESS)
    # Then the unlock is refused at once with 503 and a clear message, and nothing was unlocked
    assert_busy(status, body, retry_after)
    state = json.loads((await jp_fetch("kap-notes", "api", "status")).body)
    assert state["unlocked"] is False
    # and once the gate is free the same request works
    status, body, _ = await unlock(jp_fetch, TESS)
    assert status == 200
