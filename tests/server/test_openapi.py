"""The OpenAPI file describes exactly the routes and operations the server has."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import validate

from kap_notes.server import handlers
from kap_notes.service.operations import OPERATIONS

SPEC = yaml.safe_load((Path(handlers.__file__).parent / "openapi.yaml").read_text())


def test_spec_is_valid_openapi() -> None:
    validate(SPEC)


def test_every_operation_is_documented_and_nothing_else() -> None:
    documented = {p.rsplit("/", 1)[1] for p in SPEC["paths"] if "/ops/" in p}
    assert documented == set(OPERATIONS)


def test_operation_arguments_match_the_code() -> None:
    for name, operation in OPERATIONS.items():
        schema: dict[str, Any] = SPEC["paths"][f"/kap-notes/api/ops/{name}"]["post"]["requestBody"]
        properties = set(schema["content"]["application/json"]["schema"]["properties"])
        parameters = set(list(inspect.signature(operation).parameters)[1:])  # minus the session
        assert properties == parameters, name
