"""The REST API through a real jupyter_server that requires authentication."""

from __future__ import annotations

import datetime as dt

import pytest
from tornado.httpclient import HTTPClientError

from kap_notes.service.synthetic import synthetic_course
from tests.conftest import PASSPHRASES
from tests.server.api import Fetch, call, failure


async def test_requires_authentication(jp_fetch: Fetch) -> None:
    # Given a request without the server's token
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("kap-notes", "api", "status", headers={"Authorization": ""})
    # Then it is refused
    assert info.value.code in (401, 403)


async def test_unlock_save_sign_lock(jp_fetch: Fetch) -> None:
    status = await call(jp_fetch, "status")
    assert status["unlocked"] is False
    code, error = await failure(jp_fetch, "ops/list_patients", {})
    assert code == 423
    assert "locked" in error["error"]
    code, error = await failure(jp_fetch, "unlock", {"user": "tess", "passphrase": "nope"})
    assert code == 403
    assert "wrong user name or passphrase" in error["error"]
    status = await call(jp_fetch, "unlock", {"user": "tess", "passphrase": PASSPHRASES["tess"]})
    assert (status["unlocked"], status["user"]) == (True, "tess")
    course = synthetic_course(11, start=dt.date(2026, 7, 6))
    patient = (await call(jp_fetch, "ops/add_patient", {"data": course.profile}))["patient_id"]
    saved = await call(
        jp_fetch,
        "ops/save_draft",
        {"patient_id": patient, "form": "intention", "answers": {"setting": "remote"}},
    )
    assert any(i["kind"] == "required" for i in saved["issues"])
    code, error = await failure(
        jp_fetch, "ops/sign_note", {"note_id": saved["note_id"], "passphrase": PASSPHRASES["tess"]}
    )
    assert code == 422
    assert error["type"] == "NotSignable"
    assert error["issues"]
    saved = await call(
        jp_fetch,
        "ops/save_draft",
        {
            "patient_id": patient,
            "form": "intention",
            "answers": course.steps[1].answers,
            "note_id": saved["note_id"],
            "version": saved["version"],
        },
    )
    code, error = await failure(
        jp_fetch,
        "ops/save_draft",
        {
            "patient_id": patient,
            "form": "intention",
            "answers": course.steps[1].answers,
            "note_id": saved["note_id"],
            "version": 1,
        },
    )
    assert code == 409
    signed = await call(
        jp_fetch, "ops/sign_note", {"note_id": saved["note_id"], "passphrase": PASSPHRASES["tess"]}
    )
    assert signed["version"] == saved["version"] + 1
    notes = await call(jp_fetch, "ops/list_notes", {"patient_id": patient})
    assert [n["status"] for n in notes] == ["signed"]
    status = await call(jp_fetch, "lock", {})
    assert status["unlocked"] is False
    code, _ = await failure(jp_fetch, "ops/list_notes", {"patient_id": patient})
    assert code == 423


async def test_settings_and_bad_requests(jp_fetch: Fetch) -> None:
    status = await call(jp_fetch, "settings", {"auto_lock_minutes": 5})
    assert status["auto_lock_minutes"] == 5
    # clinic thresholds live in the vault: while it is locked, nothing (not even auto-lock) applies
    code, error = await failure(
        jp_fetch, "settings", {"auto_lock_minutes": 7, "systolic_alert_mmhg": 150}
    )
    assert (code, (await call(jp_fetch, "status"))["auto_lock_minutes"]) == (423, 5)
    assert "unlock it to change clinic settings" in error["error"]
    code, error = await failure(jp_fetch, "settings", {"auto_lock_minutes": 0})
    assert code == 422
    assert "at least 1 minute" in error["error"]
    await call(jp_fetch, "unlock", {"user": "tess", "passphrase": PASSPHRASES["tess"]})
    code, error = await failure(jp_fetch, "ops/get_note", {"nope": 1})
    assert code == 422
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, "ops/no_such_operation", {})
    assert info.value.code == 404
