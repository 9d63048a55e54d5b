"""Every operation's request, declared once: its fields, their JSON types, which are required and
their bounds. The same declaration checks input at the edge (REST handlers, the kernel agent,
:func:`kap_notes.service.operations.run`) and produces the OpenAPI request schemas
(``server/openapi.py`` writes ``openapi.yaml``; a test keeps them equal), so they cannot drift.

A bad request is refused before any vault call with one :class:`InvalidInput` (422) that lists
every problem in words, e.g. ``save_draft: patient_id must be text (got a list)``.

Checking uses fastjsonschema (compiled once per schema, imported in ~25 ms); jsonschema (~1 s
to import) is loaded only to explain a refused body in words. A property test keeps both
verdicts equal (tests/service/test_request_checks.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

import fastjsonschema

from kap_notes.errors import InvalidInput

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

Schema = dict[str, Any]

#: Largest id, name or short text accepted; longest free text (an addendum, a comment).
SHORT, LONG = 200, 100_000
#: Largest note version accepted (SQLite integers are 64-bit; no note has this many versions).
MAX_VERSION = 2**31 - 1
#: Most values (strings, numbers, lists, objects ...) one request body may hold: a note's answers
#: are a few hundred; checking a body costs time per value, so a huge one is refused first.
MAX_VALUES = 20_000
#: Most problems one 422 lists (then "and N more").
MAX_PROBLEMS = 25

ID: Schema = {"type": "string", "minLength": 1, "maxLength": SHORT}
NAME: Schema = {"type": "string", "pattern": r"\S", "maxLength": SHORT}
FORM: Schema = {**NAME, "description": "a form template's name (e.g. dosing) or url"}
SECRET: Schema = {"type": "string", "format": "password", "maxLength": 1024}
TEXT: Schema = {"type": "string", "maxLength": LONG}
#: Free text that must say something (an addendum, a return comment): blank is refused.
SAYING: Schema = {**TEXT, "pattern": r"\S"}
#: What a blank SAYING field is told, per (operation, field).
BLANK = {
    ("add_addendum", "text"): "an addendum needs some text",
    ("return_note", "comment"): "say what needs changing: a returned note needs a comment",
}
#: Sections of a patient's progress notebook and of the supervisor overview (compile/sections.py
#: SECTIONS, compile/overview.py OVERVIEW_SECTIONS; written out here so checking a request never
#: imports pandas; a test keeps them equal).
SECTIONS = ("outcomes", "scores", "dosing", "vitals", "adverse-events", "intentions", "flags")
OVERVIEW_SECTIONS = ("patients", "pending", "flags")
SCALAR: Schema = {"type": ["string", "number", "boolean", "null"]}


def _nested(depth: int) -> Schema:
    """A value, or lists and objects of such values nested at most ``depth`` deep."""
    if depth == 0:
        return SCALAR
    inner = _nested(depth - 1)
    return {
        "anyOf": [
            SCALAR,
            {"type": "array", "maxItems": 500, "items": inner},
            {"type": "object", "additionalProperties": inner},
        ]
    }


#: One answer: a value, a list (multi-choice), a group of answers, or rows (repeating groups).
ANSWER: Schema = _nested(3)
ANSWERS: Schema = {
    "type": "object",
    "description": "linkId -> answer: a value, a list of values, a group (linkId -> "
    "answer) or rows of groups; nested at most three deep",
    "additionalProperties": ANSWER,
}
EXPECTED_AUTHOR = "The user id the form was opened by; if another user is unlocked now, nothing"


@dataclass(frozen=True)
class Request:
    """One operation's request body: ``fields`` (name → JSON Schema) and which are required.

    ``secret`` names the passphrase field a kernel never sends (the server asks for it)."""

    fields: Mapping[str, Schema] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    secret: str | None = None

    def schema(self, *, from_kernel: bool = False) -> Schema:
        """The request body's JSON Schema (OpenAPI 3.1 uses JSON Schema 2020-12)."""
        fields = {k: v for k, v in self.fields.items() if not (from_kernel and k == self.secret)}
        schema: Schema = {"type": "object", "properties": dict(fields)}
        required = [r for r in self.required if r in fields]
        if required:
            schema["required"] = required
        schema["additionalProperties"] = False
        return schema


def _secret(*names: str, **fields: Schema) -> Request:
    return Request({**fields, "passphrase": SECRET}, (*names, "passphrase"), "passphrase")


PATIENT = Request({"patient_id": ID}, ("patient_id",))
NOTE = Request({"note_id": ID}, ("note_id",))
NOTHING = Request()
ACCESS = Request(
    {
        "patient_id": {**ID, "description": "the patient's id"},
        "user": {**NAME, "description": "a user's name"},
    },
    ("patient_id", "user"),
)

#: Operation name → its request. A test keeps the names and fields equal to OPERATIONS.
REQUESTS: dict[str, Request] = {
    "whoami": NOTHING,
    "clinic_settings": NOTHING,
    "settings_info": NOTHING,
    "change_settings": Request(
        {
            "values": {
                "type": "object",
                "description": "clinic setting name -> value (see POST /kap-notes/api/settings)",
            }
        },
        ("values",),
    ),
    "list_patients": NOTHING,
    "add_patient": Request(
        {
            "data": {
                "type": "object",
                "description": "name, date_of_birth, sex, contact; chart_code is generated "
                "(KAP- and 6 characters) unless given, and must be unused among the patients "
                "the user can open",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": SHORT},
                    "date_of_birth": {
                        "type": "string",
                        "maxLength": 40,
                        "description": "YYYY-MM-DD, between 1900-01-01 and today",
                    },
                    "sex": {
                        "type": "string",
                        "maxLength": 40,
                        "description": "female, male, other or unknown",
                    },
                    "contact": {"type": ["string", "object"]},
                    "chart_code": {
                        "type": "string",
                        "pattern": "^([A-Za-z0-9][A-Za-z0-9-]{2,31})?$",
                        "description": "letters, digits and '-', 3-32 characters, starting with "
                        "a letter or digit (stored upper-cased); empty or absent to have one "
                        "generated",
                    },
                },
                "additionalProperties": False,
            }
        },
        ("data",),
    ),
    "list_notes": Request(
        {"patient_id": ID, "include_process": {"type": "boolean"}}, ("patient_id",)
    ),
    "get_note": NOTE,
    "form_context": Request(
        {
            "patient_id": ID,
            "form": FORM,
            "answers": {**ANSWERS, "type": ["object", "null"]},
            "note_id": {**ID, "minLength": 0},
        },
        ("patient_id", "form"),
    ),
    "dosing_choices": PATIENT,
    "save_draft": Request(
        {
            "patient_id": ID,
            "form": FORM,
            "answers": ANSWERS,
            "note_id": {**ID, "type": ["string", "null"]},
            "version": {
                "type": ["integer", "null"],
                "minimum": 1,
                "maximum": MAX_VERSION,
                "description": "the version the form was opened at (conflict check)",
            },
            "expected_author": {
                "type": ["string", "null"],
                "maxLength": SHORT,
                "description": f"{EXPECTED_AUTHOR} is saved (403).",
            },
            "autosave": {
                "type": "boolean",
                "description": "A form's autosave: kept in the draft's sealed autosave buffer "
                "(no new version) while this session edits it; close_draft writes it",
            },
        },
        ("patient_id", "form", "answers"),
    ),
    "close_draft": NOTE,
    "discard_draft": Request(
        {
            "note_id": ID,
            "version": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_VERSION,
                "description": "The draft version being discarded (conflict check).",
            },
            "expected_author": {
                "type": ["string", "null"],
                "maxLength": SHORT,
                "description": f"{EXPECTED_AUTHOR} is discarded (403).",
            },
        },
        ("note_id", "version"),
    ),
    "sign_note": _secret("note_id", note_id=ID),
    "add_addendum": _secret("note_id", "text", note_id=ID, text=SAYING),
    "review_queue": NOTHING,
    "cosign": _secret("note_id", note_id=ID, attestation={**TEXT, "type": ["string", "null"]}),
    "return_note": _secret("note_id", "comment", note_id=ID, comment=SAYING),
    "compile_patient": PATIENT,
    "export_record_pdf": PATIENT,
    "patient_frames": PATIENT,
    "render_section": Request(
        {"patient_id": ID, "section": {"type": "string", "enum": list(SECTIONS)}},
        ("patient_id", "section"),
    ),
    "render_overview_section": Request(
        {"section": {"type": "string", "enum": list(OVERVIEW_SECTIONS)}}, ("section",)
    ),
    "cohort_frames": NOTHING,
    "open_outcomes": NOTHING,
    "find_patients": Request(
        {
            "query": {
                "type": "string",
                "maxLength": SHORT,
                "description": "words to find; a US date like 5/17/1980 matches 1980-05-17",
            }
        }
    ),
    "patient_notes": PATIENT,
    "my_day": NOTHING,
    "note_preview": NOTE,
    "revise_note": Request({"note_id": {**ID, "description": "the returned note"}}, ("note_id",)),
    "access_requests": Request(
        {
            "names": {
                "type": "boolean",
                "description": "false: leave out chart codes and patient names (no decryption, "
                "no audited read; for a badge that counts)",
            }
        }
    ),
    "approve_access": ACCESS,
    "deny_access": ACCESS,
    "accept_supervisor": Request(
        {"supervisor": {**NAME, "description": "the proposed supervisor's user name"}},
        ("supervisor",),
    ),
    "request_access": ACCESS,
}

#: Bodies of the routes that are not operations.
UNLOCK = Request({"user": NAME, "passphrase": SECRET}, ("user", "passphrase"))
CONFIRM = Request({"passphrase": SECRET}, ("passphrase",))


def parse_json(raw: bytes | str, *, constants: bool = False) -> Any:
    """A request body as JSON (empty = ``{}``); NaN and Infinity are not JSON (unless
    ``constants``: the caller refuses them by name), nor is nesting deeper than Python can read.
    Raises :class:`InvalidInput`."""
    if not raw:
        return {}

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not a JSON value")

    try:
        return json.loads(raw, parse_constant=float if constants else refuse)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput([f"the request body is not JSON ({exc})"[:300]]) from exc


def check(request: Request, body: Any, label: str, *, from_kernel: bool = False) -> dict[str, Any]:
    """``body`` checked against ``request``: the arguments to call with (whole-number floats of
    integer fields become ints). Raises :class:`InvalidInput` listing every problem."""
    if not isinstance(body, dict):
        raise InvalidInput([f"{label}: the request body must be a JSON object ({_kind(body)})"])
    if _too_many_values(body):
        raise InvalidInput([f"{label}: the request body holds more than {MAX_VALUES} values"])
    schema = request.schema(from_kernel=from_kernel)
    try:
        _fast(json.dumps(schema, sort_keys=True))(body)
        problems: list[str] = []
    except fastjsonschema.JsonSchemaValueException:
        problems = _explain(schema, body, label)
    if len(problems) > MAX_PROBLEMS:  # the answer stays readable (and small)
        more = len(problems) - MAX_PROBLEMS
        problems = [*problems[:MAX_PROBLEMS], f"{label}: and {more} more problem(s)"]
    if problems:
        raise InvalidInput(problems)
    return {
        k: int(v) if isinstance(v, float) and _integer(request.fields.get(k)) else v
        for k, v in body.items()
    }


@lru_cache(maxsize=256)
def _fast(schema_json: str) -> Callable[[Any], Any]:
    """A compiled fastjsonschema check of the schema (given as canonical JSON, the cache key)."""
    return cast(
        Callable[[Any], Any],
        fastjsonschema.compile(json.loads(schema_json), formats={"password": _anything}),
    )


def _anything(_value: Any) -> bool:
    return True  # "password" only tells OpenAPI clients to mask the field


def _explain(schema: Schema, body: Any, label: str) -> list[str]:
    """Every problem of a refused ``body`` in words (the one place jsonschema is imported)."""
    from jsonschema import Draft202012Validator  # noqa: PLC0415 - ~1 s, only for a refusal

    errors = Draft202012Validator(schema).iter_errors(body)
    return sorted({_say(label, e) for e in errors}, key=lambda p: (len(p) > 200, p))


def check_operation(op: str, body: Any, *, from_kernel: bool = False) -> dict[str, Any]:
    """The arguments of operation ``op`` (unknown operations are a 422 too)."""
    request = REQUESTS.get(op)
    if request is None:
        raise InvalidInput([f"unknown operation {op!r}"])
    return check(request, body, op, from_kernel=from_kernel)


def _too_many_values(body: Any, limit: int = MAX_VALUES) -> bool:
    """Whether ``body`` holds more than ``limit`` values (stops counting at the limit)."""
    stack, count = [body], 0
    while stack:
        value = stack.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _integer(schema: Schema | None) -> bool:
    kind = (schema or {}).get("type")
    return kind == "integer" or (isinstance(kind, list) and "integer" in kind)


WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "got true or false"
    if isinstance(value, int):
        return "got a whole number"
    for kind, python in (("number", float), ("string", str), ("object", dict), ("array", list)):
        if isinstance(value, python):
            return f"got {WORDS[kind]}"
    return "got null" if value is None else f"got {type(value).__name__}"


def _say(label: str, error: ValidationError) -> str:
    """One problem in words, naming the field (``data.name``, ``answers.weight[2]``)."""
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    name = where.lstrip(".") or "the request body"
    kind, value = error.validator, cast(Any, error.validator_value)
    schema: Schema = error.schema if isinstance(error.schema, dict) else {}
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else "a field"
        prefix = f"{name}." if where else ""
        return f"{label}: {prefix}{missing} is required"
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(schema.get("properties") or {})
        extra = ", ".join(repr(k) for k in sorted(set(error.instance) - allowed))[:200]
        known = ", ".join(sorted(allowed)) or "nothing"
        return f"{label}: unknown field(s) {extra} in {name} (accepted: {known})"
    if kind == "type":
        kinds = [value] if isinstance(value, str) else list(value or [])
        wanted = " or ".join(WORDS.get(k, k) for k in kinds)
        return f"{label}: {name} must be {wanted} ({_kind(error.instance)})"
    if kind == "minimum":
        return f"{label}: {name} must be at least {value}"
    if kind == "maximum":
        return f"{label}: {name} must be at most {value}"
    if kind == "minLength":
        return f"{label}: {name} must not be empty"
    if kind == "maxLength":
        return f"{label}: {name} must be at most {value} characters"
    if kind == "enum":
        shown = repr(error.instance)[:60]
        return f"{label}: unknown {name} {shown}; choose one of: {', '.join(map(str, value))}"
    if kind == "maxItems":
        return f"{label}: {name} must have at most {value} entries"
    if kind == "pattern" and value == r"\S" and (label, name) in BLANK:
        return f"{label}: {BLANK[label, name]}"
    if kind == "pattern" and value == r"\S":
        return f"{label}: {name} is required (not blank text)"
    if kind == "anyOf" and "anyOf" in schema and SCALAR in schema["anyOf"]:
        return f"{label}: {name} must be a value, a list or a group, nested at most 3 deep"
    return f"{label}: {name}: {error.message}"[:300]
