"""openapi.yaml is what the code generates (server/openapi.py from the request declarations) and
describes exactly the routes, operations, arguments and error answers the server has."""

from __future__ import annotations

import inspect
from typing import Any

from openapi_spec_validator import validate

from kap_notes.errors import ALLOWED_STATUSES, all_errors
from kap_notes.server import openapi
from kap_notes.service.operations import OPERATIONS
from kap_notes.service.requests import REQUESTS

SPEC = openapi.load()
ERROR = {"$ref": "#/components/responses/Error"}


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in SPEC["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "delete"}
    ]


def test_spec_is_valid_openapi() -> None:
    validate(SPEC)


def test_the_file_is_what_the_code_generates() -> None:
    # Fails when a request declaration, an operation or an error status changed without
    # running `python -m kap_notes.server.openapi`
    assert openapi.build(SPEC) == SPEC
    assert openapi.main(["--check"]) == 0


def test_every_operation_is_declared_documented_and_nothing_else() -> None:
    documented = {p.rsplit("/", 1)[1] for p in SPEC["paths"] if "/ops/" in p}
    assert documented == set(OPERATIONS) == set(REQUESTS)


def test_declared_arguments_and_required_fields_match_the_code() -> None:
    for name, operation in OPERATIONS.items():
        schema = SPEC["paths"][f"/kap-notes/api/ops/{name}"]["post"]["requestBody"]["content"][
            "application/json"
        ]["schema"]
        parameters = list(inspect.signature(operation).parameters.values())[1:]  # no session
        assert set(schema["properties"]) == {p.name for p in parameters}, name
        without_default = {p.name for p in parameters if p.default is inspect.Parameter.empty}
        assert set(schema.get("required", [])) == without_default, name
        assert schema["additionalProperties"] is False, name
        for field, declared in schema["properties"].items():
            assert "type" in declared or "anyOf" in declared, (name, field)


def test_every_error_answer_is_the_error_schema_with_an_allowed_status() -> None:
    for path, method, operation in _operations():
        statuses = {int(s) for s in operation["responses"] if s != "200"}
        assert {403, 500, 503, 507} <= statuses, (path, method)  # auth, bugs, storage faults
        assert statuses <= ALLOWED_STATUSES, (path, method)
        for status, response in operation["responses"].items():
            if status != "200":
                assert response == ERROR, (path, method, status)
    error = SPEC["components"]["schemas"]["Error"]
    assert {"error", "code", "type", "message"} <= set(error["required"])


def test_every_status_an_error_class_carries_is_documented_somewhere() -> None:
    documented = {int(s) for _, _, op in _operations() for s in op["responses"] if s != "200"}
    assert {cls.status for cls in all_errors()} <= documented


def test_operations_that_take_an_id_document_404_and_vault_errors() -> None:
    for name in OPERATIONS:
        responses = SPEC["paths"][f"/kap-notes/api/ops/{name}"]["post"]["responses"]
        assert {"400", "409", "422", "423"} <= set(responses), name
        if any(f.endswith("_id") for f in REQUESTS[name].fields):
            assert "404" in responses, name
