"""One error tree (issue 12, Deliver 1): every class under one root carries an allowed HTTP
status, a unique stable code and an exit status; the module's docstring draws all of them; REST,
the agent and the CLI derive their answers from the class. Walks every class, none listed."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kap_notes import errors
from kap_notes.agent.client import AgentTransport, remote_error
from kap_notes.agent.keyholder import KeyHolder
from kap_notes.agent.server import AgentServer
from kap_notes.cli.context import report_error
from kap_notes.forms import ValidationIssue
from kap_notes.service.operations import error_payload, is_domain_error
from kap_notes.service.requests import REQUESTS, check_operation
from kap_notes.vault.crypto import FAST_KDF
from tests.conftest import Clinic
from tests.errors_helpers import SAMPLES, allowed_types, sample, wrong_types

ALL = errors.all_errors()
IDS = [cls.__name__ for cls in ALL]


def test_one_root_and_every_error_module_re_exports_it() -> None:
    from kap_notes.agent.confirm import UnknownConfirmation  # noqa: PLC0415
    from kap_notes.export.render import ExportError  # noqa: PLC0415
    from kap_notes.forms.errors import TemplateError  # noqa: PLC0415
    from kap_notes.forms.migrations import MigrationError  # noqa: PLC0415
    from kap_notes.model.patient import InvalidInput  # noqa: PLC0415
    from kap_notes.service.backend import NotConfirmed  # noqa: PLC0415
    from kap_notes.service.lifecycle import NotSignable  # noqa: PLC0415
    from kap_notes.vault import errors as vault_errors  # noqa: PLC0415

    old_homes = [UnknownConfirmation, ExportError, TemplateError, MigrationError, InvalidInput]
    old_homes += [NotConfirmed, NotSignable]
    old_homes += [getattr(vault_errors, name) for name in vault_errors.__all__]
    for cls in old_homes:
        assert cls in ALL, cls
    assert all(issubclass(cls, errors.KapError) for cls in ALL)
    # Old except clauses keep working: the built-in bases are still there
    assert issubclass(InvalidInput, ValueError)
    assert issubclass(TemplateError, ValueError)
    assert issubclass(MigrationError, LookupError)
    assert issubclass(ExportError, RuntimeError)
    assert issubclass(errors.UnknownTemplate, KeyError)


def test_statuses_are_allowed_and_codes_unique_and_stable() -> None:
    codes = [cls.code for cls in ALL]
    assert len(codes) == len(set(codes)), codes
    for cls in ALL:
        assert cls.status in errors.ALLOWED_STATUSES, cls
        assert re.fullmatch(r"[a-z][a-z0-9_]+", cls.code), cls
        assert cls.exit_code in (1, 3), cls
        assert errors.error_class(cls.code) is cls
    assert errors.StorageFull.status == 507
    assert errors.StorageUnavailable.status == 503


def test_the_docstring_draws_every_class_with_its_status_and_code() -> None:
    doc = errors.__doc__ or ""
    for cls in ALL:
        line = next((ln for ln in doc.splitlines() if f" {cls.__name__} " in f"{ln} "), "")
        assert str(cls.status) in line, cls
        assert cls.code in line, cls


@pytest.mark.parametrize("cls", ALL, ids=IDS)
def test_payload_round_trip_rebuilds_the_same_class(cls: type[errors.KapError]) -> None:
    exc = sample(cls)
    assert is_domain_error(exc)
    payload = json.loads(json.dumps(error_payload(exc)))  # what travels
    assert payload["code"] == cls.code
    assert payload["message"] == str(exc)
    rebuilt = remote_error(payload)
    assert type(rebuilt) is cls
    assert str(rebuilt) == str(exc)
    for name in cls.fields:
        if name == "issues":
            assert rebuilt.issues == exc.issues  # type: ignore[attr-defined]
            assert all(isinstance(i, ValidationIssue) for i in rebuilt.issues)  # type: ignore[attr-defined]
        else:
            assert getattr(rebuilt, name) == getattr(exc, name), name


@pytest.mark.parametrize("cls", ALL, ids=IDS)
def test_the_cli_prints_one_line_with_the_code_and_exits_by_class(
    cls: type[errors.KapError], capsys: pytest.CaptureFixture[str]
) -> None:
    exc = sample(cls)
    assert report_error(exc) == cls.exit_code
    err = capsys.readouterr().err
    assert err.startswith("kap-notes: ")
    assert f"[{cls.code}]" in err


def test_an_unknown_code_from_a_newer_server_is_still_a_vault_error() -> None:
    rebuilt = remote_error({"code": "from_the_future", "type": "X", "message": "later"})
    assert type(rebuilt) is errors.VaultError
    assert str(rebuilt) == "later"


def test_bugs_are_not_domain_errors() -> None:
    payload = error_payload(ZeroDivisionError("division by zero"))
    assert payload["code"] == "internal_error"
    assert not is_domain_error(ZeroDivisionError())
    assert type(remote_error(payload)) is errors.KapError


# ------------------------------------------------------------ through a real agent socket
@pytest.fixture
def agent(clinic: Clinic, tmp_path: Path) -> Iterator[tuple[KeyHolder, AgentTransport]]:
    holder = KeyHolder(str(clinic.path), kdf_floor=FAST_KDF)
    server = AgentServer(holder, tmp_path / "a.sock")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    yield holder, AgentTransport(str(server.path))
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_every_class_crosses_the_agent_socket_as_itself(
    agent: tuple[KeyHolder, AgentTransport], monkeypatch: pytest.MonkeyPatch
) -> None:
    holder, transport = agent
    for cls in ALL:
        exc = sample(cls)

        def fail(op: str, kwargs: dict[str, Any], exc: errors.KapError = exc) -> Any:
            raise exc

        monkeypatch.setattr(holder, "run", fail)
        with pytest.raises(cls) as info:
            transport("whoami", {})
        assert type(info.value) is cls
        assert str(info.value) == str(exc)


def test_the_agent_refuses_wrong_types_before_the_vault(
    agent: tuple[KeyHolder, AgentTransport], monkeypatch: pytest.MonkeyPatch
) -> None:
    holder, transport = agent
    monkeypatch.setattr(holder, "session", lambda: pytest.fail("the vault was asked"))
    for op, name, kind in wrong_types():
        if REQUESTS[op].secret == name:
            continue  # a kernel never sends a passphrase (refused for that reason)
        with pytest.raises(errors.InvalidInput) as info:
            transport(op, {name: SAMPLES[kind]})
        assert any(p.startswith(f"{op}: {name} must be") for p in info.value.problems), info.value


# ------------------------------------------------------------ the declarations, fuzzed
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=25, deadline=None)
@given(
    op=st.sampled_from(sorted(REQUESTS)),
    body=st.one_of(
        JSON,
        st.dictionaries(
            st.sampled_from(
                ["patient_id", "note_id", "form", "answers", "version", "data", "user", "x"]
            ),
            JSON,
            max_size=4,
        ),
    ),
)
def test_any_json_body_is_accepted_or_one_clear_422(op: str, body: Any) -> None:
    try:
        checked = check_operation(op, body)
    except errors.InvalidInput as exc:
        problems = exc.problems
    else:
        problems = []
    if problems:
        assert all(p.startswith(f"{op}: ") for p in problems)
        return
    fields = REQUESTS[op].fields
    assert set(checked) <= set(fields)
    for name, value in checked.items():
        kinds = allowed_types(fields[name])
        assert any(isinstance(value, _PY[k]) for k in kinds), (name, value)


_PY: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
    "object": dict,
    "array": list,
}
