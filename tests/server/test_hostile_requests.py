"""Hostile and broken requests through a real jupyter_server (issue 12, observations 1 and 4):
bodies that are not JSON or not objects, wrong JSON types for every field of every operation
(derived from the declarations), no authentication, an unknown form. Each gets a 4xx in the
Error schema before the vault is asked anything, never a 500; every error class answers with its
own status and code, and the client rebuilds it from the body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from kap_notes import errors
from kap_notes.agent.client import remote_error
from kap_notes.agent.keyholder import KeyHolder
from kap_notes.server import openapi
from kap_notes.service.requests import REQUESTS
from tests.conftest import PASSPHRASES
from tests.errors_helpers import SAMPLES, sample, wrong_types
from tests.server.api import Fetch

ERROR_SCHEMA = Draft202012Validator(openapi.load()["components"]["schemas"]["Error"])
ROUTES = [f"ops/{op}" for op in REQUESTS] + ["unlock", "settings", "confirmations/c1"]
#: Raw bodies that are not a JSON object (sent verbatim).
NOT_OBJECTS = [
    "{not json",
    "[]",
    "[1, 2]",
    '"text"',
    "1",
    "null",
    "true",
    "\xff\xfe",
    "[" * 100_000,
]


@pytest.fixture
def holder(jp_serverapp: Any) -> KeyHolder:
    keyholder: KeyHolder = jp_serverapp.web_app.settings["kap_notes_keyholder"]
    return keyholder


async def post(fetch: Fetch, path: str, raw: str | bytes, **kw: Any) -> tuple[int, dict[str, Any]]:
    response = await fetch(
        "kap-notes", "api", *path.split("/"), method="POST", body=raw, raise_error=False, **kw
    )
    body: dict[str, Any] = json.loads(response.body)
    return response.code, body


def assert_error(code: int, body: dict[str, Any], status: int, error_code: str) -> None:
    assert (code, body.get("code")) == (status, error_code), body
    problems = list(ERROR_SCHEMA.iter_errors(body))
    assert not problems, problems


async def test_bodies_that_are_not_json_objects_are_422_on_every_route(jp_fetch: Fetch) -> None:
    for route in ROUTES:
        for raw in NOT_OBJECTS:
            code, body = await post(jp_fetch, route, raw.encode("utf-8", "surrogatepass"))
            assert_error(code, body, 422, "invalid_input")
            assert body["problems"], (route, raw[:10])


async def test_nan_and_infinity_are_not_json_for_operations(jp_fetch: Fetch) -> None:
    for raw in ['{"patient_id": NaN}', '{"answers": {"x": Infinity}, "form": "dosing"}']:
        code, body = await post(jp_fetch, "ops/form_context", raw)
        assert_error(code, body, 422, "invalid_input")
        assert "not JSON" in body["error"]


async def test_wrong_types_for_every_field_are_422_before_the_vault(
    jp_fetch: Fetch, holder: KeyHolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Locked, and the vault must not even be asked: validation comes first (422, not 423)
    asked: list[str] = []
    monkeypatch.setattr(holder, "run", lambda op, kwargs: asked.append(op))
    combos = wrong_types()
    assert len(combos) > 100  # every field of every operation, each wrong JSON type
    for op, name, kind in combos:
        code, body = await post(jp_fetch, f"ops/{op}", json.dumps({name: SAMPLES[kind]}))
        assert_error(code, body, 422, "invalid_input")
        assert any(p.startswith(f"{op}: {name} must be") for p in body["problems"]), body
    assert asked == []


async def test_missing_and_unknown_fields_name_themselves(jp_fetch: Fetch) -> None:
    code, body = await post(jp_fetch, "ops/save_draft", json.dumps({"colour": "red"}))
    assert_error(code, body, 422, "invalid_input")
    assert "save_draft: patient_id is required" in body["problems"]
    assert "save_draft: answers is required" in body["problems"]
    assert any("unknown field(s) 'colour'" in p for p in body["problems"])
    code, body = await post(jp_fetch, "ops/discard_draft", '{"note_id": "n", "version": 0}')
    assert body["problems"] == ["discard_draft: version must be at least 1"]
    code, body = await post(jp_fetch, "ops/add_patient", '{"data": {"name": 5}}')
    assert body["problems"] == ["add_patient: data.name must be text (got a whole number)"]
    code, body = await post(jp_fetch, "unlock", '{"user": "tess"}')
    assert_error(code, body, 422, "invalid_input")
    assert body["problems"] == ["unlock: passphrase is required"]


async def test_an_unknown_form_is_a_422_not_a_key_error(jp_fetch: Fetch, holder: KeyHolder) -> None:
    holder.unlock("tess", PASSPHRASES["tess"])
    patient = holder.run("add_patient", {"data": {"name": "Synthetic Person 9"}})["patient_id"]
    for op in ("form_context", "save_draft"):
        raw = json.dumps({"patient_id": patient, "form": "no-such-form", "answers": {}})
        code, body = await post(jp_fetch, f"ops/{op}", raw)
        assert_error(code, body, 422, "unknown_template")
        assert "no template named or at 'no-such-form'" in body["error"]


async def test_unauthenticated_and_unknown_routes_answer_in_the_error_schema(
    jp_fetch: Fetch,
) -> None:
    code, body = await post(jp_fetch, "ops/whoami", "{}", headers={"Authorization": "token nope"})
    assert_error(code, body, 403, "not_authenticated")
    code, body = await post(jp_fetch, "ops/no_such_op", "{}")
    assert_error(code, body, 404, "not_found")


@pytest.mark.parametrize("cls", errors.all_errors(), ids=lambda c: c.__name__)
async def test_every_error_class_answers_its_status_and_code_and_rebuilds(
    jp_fetch: Fetch, holder: KeyHolder, monkeypatch: pytest.MonkeyPatch, cls: type[errors.KapError]
) -> None:
    exc = sample(cls)

    def fail(op: str, kwargs: dict[str, Any]) -> Any:
        raise exc

    monkeypatch.setattr(holder, "run", fail)
    code, body = await post(jp_fetch, "ops/whoami", "{}")
    assert_error(code, body, cls.status, cls.code)
    assert body["error"] == str(exc)
    rebuilt = remote_error(body)
    assert type(rebuilt) is cls
    assert str(rebuilt) == str(exc)


async def test_a_bug_is_a_500_in_the_error_schema_without_details(
    jp_fetch: Fetch, holder: KeyHolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug(op: str, kwargs: dict[str, Any]) -> Any:
        raise ZeroDivisionError("secret detail")

    monkeypatch.setattr(holder, "run", bug)
    code, body = await post(jp_fetch, "ops/whoami", "{}")
    assert_error(code, body, 500, "internal_error")
    assert "secret detail" not in json.dumps(body)
