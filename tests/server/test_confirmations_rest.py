"""Confirming a kernel's request through the REST routes of a real jupyter_server and its agent:
the kernel's request carries no passphrase; JupyterLab's POST (with XSRF/token like every route)
does, and only then does the operation run."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from kap_notes.agent import ENV_VAR
from kap_notes.agent.client import AgentTransport
from kap_notes.service.backend import Backend, NotConfirmed
from kap_notes.service.synthetic import synthetic_course
from tests.conftest import PASSPHRASES

Fetch = Any


async def call(fetch: Fetch, path: str, body: dict[str, Any] | None = None, **kw: Any) -> Any:
    method = kw.pop("method", "GET" if body is None else "POST")
    response = await fetch(
        "kap-notes",
        "api",
        *path.split("/"),
        method=method,
        body=None if body is None else json.dumps(body),
        **kw,
    )
    return json.loads(response.body)


async def failure(fetch: Fetch, path: str, body: dict[str, Any] | None, **kw: Any) -> int:
    with pytest.raises(HTTPClientError) as info:
        await call(fetch, path, body, **kw)
    return info.value.code


async def pending(fetch: Fetch) -> list[dict[str, Any]]:
    for _ in range(3000):
        items: list[dict[str, Any]] = (await call(fetch, "confirmations"))["pending"]
        if items:
            return items
        await asyncio.sleep(0.01)
    raise AssertionError("the kernel's request never reached the server")


async def test_kernel_sign_waits_for_the_passphrase_posted_by_jupyterlab(jp_fetch: Fetch) -> None:
    assert (await call(jp_fetch, "confirmations")) == {"pending": []}  # locked: nothing
    await call(jp_fetch, "unlock", {"user": "tess", "passphrase": PASSPHRASES["tess"]})
    course = synthetic_course(61, start=dt.date(2026, 11, 30), boosters=0)
    patient = (await call(jp_fetch, "ops/add_patient", {"data": course.profile}))["patient_id"]
    answers = course.steps[2].answers
    draft = {"patient_id": patient, "form": "dosing", "answers": answers}
    note_id = (await call(jp_fetch, "ops/save_draft", draft))["note_id"]
    kernel = Backend(AgentTransport(os.environ[ENV_VAR]))
    loop = asyncio.get_running_loop()
    signing = loop.run_in_executor(None, kernel.sign_note, note_id)

    [item] = await pending(jp_fetch)
    assert item["action"] == "sign"
    assert item["form"] == "dosing"
    assert item["chart_code"] == course.profile["chart_code"]
    assert item["session_date"] == answers["session_datetime"][:10]
    assert item["user"] == "tess"
    assert "note_id" not in item  # the dialog's facts only
    notes = await call(jp_fetch, "ops/list_notes", {"patient_id": patient})
    assert [n["status"] for n in notes] == ["draft"]
    assert not signing.done()

    wrong = {"passphrase": "not the passphrase"}
    assert await failure(jp_fetch, f"confirmations/{item['id']}", wrong) == 403
    assert [i["id"] for i in await pending(jp_fetch)] == [item["id"]]  # still waiting
    right = {"passphrase": PASSPHRASES["tess"]}
    result = await call(jp_fetch, f"confirmations/{item['id']}", right)
    assert (await signing) == result
    assert result["version"] == 2
    notes = await call(jp_fetch, "ops/list_notes", {"patient_id": patient})
    assert [n["status"] for n in notes] == ["signed"]
    assert await failure(jp_fetch, f"confirmations/{item['id']}", right) == 404  # used up
    assert (await call(jp_fetch, "confirmations")) == {"pending": []}


async def test_cancel_answers_the_kernel_and_signs_nothing(jp_fetch: Fetch) -> None:
    await call(jp_fetch, "unlock", {"user": "tess", "passphrase": PASSPHRASES["tess"]})
    course = synthetic_course(62, start=dt.date(2026, 11, 30), boosters=0)
    patient = (await call(jp_fetch, "ops/add_patient", {"data": course.profile}))["patient_id"]
    draft = {"patient_id": patient, "form": "preparation", "answers": course.steps[0].answers}
    note_id = (await call(jp_fetch, "ops/save_draft", draft))["note_id"]
    kernel = Backend(AgentTransport(os.environ[ENV_VAR]))
    signing = asyncio.get_running_loop().run_in_executor(None, kernel.sign_note, note_id)
    [item] = await pending(jp_fetch)
    await call(jp_fetch, f"confirmations/{item['id']}", None, method="DELETE")
    with pytest.raises(NotConfirmed, match="cancelled"):
        await signing
    notes = await call(jp_fetch, "ops/list_notes", {"patient_id": patient})
    assert [n["status"] for n in notes] == ["draft"]
    assert await failure(jp_fetch, f"confirmations/{item['id']}", None, method="DELETE") == 404
