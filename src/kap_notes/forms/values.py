"""Parsing answers as typed: numbers from text, ISO dates, choice codes. Never raises."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from kap_notes.forms.definition import Item
from kap_notes.model.times import parse_date, parse_datetime  # one parser (model/times)

__all__ = [
    "is_answered",
    "parse_date",
    "parse_datetime",
    "parse_number",
    "to_json",
    "typed_value",
]

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def parse_number(raw: Any, *, integer: bool = False) -> int | float | None:
    """`raw` as a number (ints, floats or exactly-typed numeric text), else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if not math.isfinite(raw) or (integer and not raw.is_integer()):
            return None
        return int(raw) if integer else raw
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if _INTEGER.fullmatch(text):
        return int(text)
    if integer or not _DECIMAL.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def is_answered(raw: Any) -> bool:
    """True unless `raw` is None, blank text or an empty list/dict."""
    if raw is None:
        return False
    if isinstance(raw, str):
        return raw.strip() != ""
    if isinstance(raw, (list, dict, tuple)):
        return len(raw) > 0
    return True


def typed_value(item: Item, raw: Any) -> Any:
    """The answer as a comparable Python value for expressions, or None if absent/invalid."""
    if not is_answered(raw):
        return None
    kind = item.type
    if kind in ("integer", "decimal"):
        return parse_number(raw, integer=kind == "integer")
    if kind == "date":
        return parse_date(raw)
    if kind == "dateTime":
        return parse_datetime(raw)
    if kind == "boolean":
        return raw if isinstance(raw, bool) else None
    if kind == "choice":
        option = item.option_for(raw)
        if option is None:
            return None
        return option.value if option.value is not None else option.code
    if kind == "multi-choice":
        return list(raw) if isinstance(raw, list) else None
    if kind in ("string", "text", "open-choice"):
        return raw if isinstance(raw, str) else None
    return raw


def to_json(value: Any) -> Any:
    """A computed value made JSON-friendly (dates as ISO text, whole floats kept as floats)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
