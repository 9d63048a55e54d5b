"""Writes the generated parts of ``openapi.yaml`` from the code, so the spec cannot drift.

Generated: one path per operation in :data:`~kap_notes.service.operations.OPERATIONS`, every
request body (from :mod:`kap_notes.service.requests` and, for ``POST /settings``, from
:mod:`kap_notes.forms.settings_schema`), every error response (the statuses each route really
answers, all with the ``Error`` schema) and the ``Error`` schema itself. Hand-written and kept:
``info``, the summaries and 200 responses, and the other component schemas.

``python -m kap_notes.server.openapi`` rewrites the file; ``--check`` fails if it is stale
(``tests/server/test_openapi.py`` does the same).
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

import yaml

from kap_notes.forms.settings_schema import json_schema as settings_schema
from kap_notes.service.operations import OPERATIONS
from kap_notes.service.requests import CONFIRM, REQUESTS, UNLOCK, Request

SPEC_PATH = Path(__file__).with_name("openapi.yaml")
API = "/kap-notes/api"
HEADER = (
    "# The kap-notes REST API. Request bodies, error responses and the Error schema are\n"
    "# generated from the code: edit summaries and 200 responses here, then run\n"
    "#   python -m kap_notes.server.openapi\n"
    "# (tests/server/test_openapi.py fails while this file differs from what that writes).\n"
)

#: What every route may answer: 403 unauthenticated or not authorised (jupyter_server, in the
#: Error schema too), 500 a bug (Error schema, details in the server log), 503 storage
#: unavailable, 507 storage full (even reads: each writes an audit entry).
ALWAYS = (403, 500, 503, 507)
#: Routes that run vault work: a refusal (400), a conflict or failed verification (409), input
#: to fix (422), locked (423).
VAULT = (400, 409, 422, 423)
#: Error statuses beyond ALWAYS, per (path, method) of the routes that are not operations.
ROUTE_ERRORS: dict[tuple[str, str], tuple[int, ...]] = {
    ("/status", "get"): (),
    ("/unlock", "post"): (400, 409, 422, 429),
    ("/lock", "post"): (),
    ("/touch", "post"): (),
    ("/settings", "get"): (400, 409, 423),
    ("/settings", "post"): VAULT,
    ("/waiting", "get"): (400, 409),
    ("/confirmations", "get"): (),
    ("/confirmations/{confirmation_id}", "post"): (*VAULT, 404, 429),
    ("/confirmations/{confirmation_id}", "delete"): (404,),
}
ERROR_RESPONSE = {"$ref": "#/components/responses/Error"}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every answer that is not a 200. code is stable (kap_notes.errors); "
    "problems lists input to fix (422), issues what stops a note being signed (422).",
    "required": ["error", "code", "type", "message"],
    "properties": {
        "error": {"type": "string", "description": "the message, for display"},
        "code": {"type": "string", "description": "stable: e.g. vault_locked, storage_full"},
        "type": {"type": "string"},
        "message": {"type": "string"},
        "problems": {"type": "array", "items": {"type": "string"}},
        "issues": {"type": "array", "items": {"type": "object"}},
        "retry_after_seconds": {"type": "integer", "minimum": 0},
        "record_id": {"type": "string"},
        "user": {"type": "string"},
    },
}


def operation_errors(name: str) -> tuple[int, ...]:
    """The error statuses operation ``name`` can answer."""
    request = REQUESTS[name]
    statuses = {*ALWAYS, *VAULT}
    if any(f.endswith("_id") for f in request.fields):
        statuses.add(404)  # unknown patient, note or record
    if request.secret:
        statuses.add(429)  # re-authentication counts wrong passphrases
    return tuple(sorted(statuses))


def request_body(request: Request, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"content": {"application/json": {"schema": schema or request.schema()}}}
    if request.required:
        body = {"required": True, **body}
    return body


def responses(ok: dict[str, Any] | None, errors: tuple[int, ...]) -> dict[str, Any]:
    result: dict[str, Any] = {"200": ok or {"description": "Result"}}
    result.update({str(status): ERROR_RESPONSE for status in sorted({*ALWAYS, *errors})})
    return result


def _operation(name: str, old: dict[str, Any] | None) -> dict[str, Any]:
    doc = (inspect.getdoc(OPERATIONS[name]) or name.replace("_", " ")).split("\n\n")[0]
    old = old or {}
    ok = (old.get("responses") or {}).get("200") or {
        "description": "Result",
        "content": {"application/json": {"schema": {}}},
    }
    post = {
        "summary": old.get("summary") or " ".join(doc.split()),
        "operationId": name,
        "requestBody": request_body(REQUESTS[name]),
        "responses": responses(ok, operation_errors(name)),
    }
    return {"post": post}


def build(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with every generated part written from the code (the input is not changed)."""
    old_paths: dict[str, Any] = spec.get("paths") or {}
    paths: dict[str, Any] = {}
    ops_written = False
    for path, item in old_paths.items():
        if path.startswith(f"{API}/ops/"):
            if not ops_written:
                paths.update(_operations(old_paths))
                ops_written = True
            continue
        paths[path] = _route(path, item)
    if not ops_written:
        paths.update(_operations(old_paths))
    components = dict(spec.get("components") or {})
    components["schemas"] = {**(components.get("schemas") or {}), "Error": ERROR_SCHEMA}
    components["responses"] = {
        "Error": {
            "description": "A clear message a clinician can act on (Error schema)",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    }
    return {**spec, "paths": paths, "components": components}


def _operations(old_paths: dict[str, Any]) -> dict[str, Any]:
    ops = {}
    for name in OPERATIONS:
        path = f"{API}/ops/{name}"
        ops[path] = _operation(name, (old_paths.get(path) or {}).get("post"))
    return ops


def _route(path: str, item: dict[str, Any]) -> dict[str, Any]:
    route = path.removeprefix(API)
    new = dict(item)
    for method, operation in item.items():
        if (route, method) not in ROUTE_ERRORS:
            continue
        op = dict(operation)
        op["responses"] = responses(op["responses"].get("200"), ROUTE_ERRORS[route, method])
        if route == "/unlock":
            op["requestBody"] = request_body(UNLOCK)
        elif route == "/confirmations/{confirmation_id}" and method == "post":
            op["requestBody"] = request_body(CONFIRM)
        elif route == "/settings" and method == "post":
            old = op["requestBody"]["content"]["application/json"]["schema"]
            schema = {**settings_schema(), "description": old.get("description", "")}
            op["requestBody"] = {"content": {"application/json": {"schema": schema}}}
        new[method] = op
    return new


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(spec: dict[str, Any]) -> str:
    return HEADER + yaml.dump(spec, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)


def load(path: Path = SPEC_PATH) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def main(argv: list[str] | None = None) -> int:
    """Rewrite openapi.yaml (``--check``: exit 1 if it is not what the code generates)."""
    args = sys.argv[1:] if argv is None else argv
    current = load()
    generated = build(current)
    if "--check" in args:
        if generated != current:
            sys.stderr.write("openapi.yaml is stale: run python -m kap_notes.server.openapi\n")
            return 1
        return 0
    SPEC_PATH.write_text(dump(generated), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
