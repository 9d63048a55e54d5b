"""Shared by the error-tree tests: one instance of every error class, and wrong JSON values for
every declared request field (derived from the declarations, never listed by hand)."""

from __future__ import annotations

from typing import Any

from kap_notes import errors
from kap_notes.forms import ValidationIssue
from kap_notes.service.requests import REQUESTS

#: A JSON value of each JSON Schema type.
SAMPLES: dict[str, Any] = {
    "string": "x",
    "integer": 7,
    "number": 1.5,
    "boolean": True,
    "null": None,
    "object": {"k": 1},
    "array": [1],
}


def sample(cls: type[errors.KapError]) -> errors.KapError:
    """An instance of ``cls`` with a message and its fields filled in."""
    special: dict[type[errors.KapError], errors.KapError] = {
        errors.InvalidInput: errors.InvalidInput(["first problem", "second problem"]),
        errors.UnknownTemplate: errors.UnknownTemplate("no template named 'x'"),
        errors.TemplateError: errors.TemplateError(["a.yaml: item 'x': bad"]),
        errors.RecordUnreadable: errors.RecordUnreadable("nt_1"),
        errors.NotSignable: errors.NotSignable([ValidationIssue("weight_kg", "weight is needed")]),
        errors.TooManyAttempts: errors.TooManyAttempts("tess", 30),
        errors.UnlockBusy: errors.UnlockBusy(retry_after_seconds=4),
        errors.StorageFull: errors.StorageFull(),
        errors.StorageUnavailable: errors.StorageUnavailable(),
    }
    if cls in special:
        return special[cls]
    return cls(f"a {cls.__name__} happened")


def allowed_types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    kinds = {kind} if isinstance(kind, str) else set(kind or SAMPLES)
    return kinds | ({"integer"} if "number" in kinds else set())


def wrong_types() -> list[tuple[str, str, str]]:
    """(operation, field, a JSON type the field refuses) for every declared field."""
    return [
        (op, name, kind)
        for op, request in REQUESTS.items()
        for name, schema in request.fields.items()
        for kind in SAMPLES
        if kind not in allowed_types(schema)
    ]
