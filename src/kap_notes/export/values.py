"""Answers as a reader sees them: option displays, not codes; units; Yes/No; readable times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from kap_notes.forms import Item
from kap_notes.forms.values import is_answered

__all__ = ["display_time", "display_value", "is_answered", "label_of", "number_text"]


def number_text(value: float | int) -> str:
    """``12`` for whole numbers, ``1.25`` otherwise (no trailing zeros)."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def display_time(value: str) -> str:
    """``2026-01-05T10:00`` → ``2026-01-05 10:00`` (UTC stamps say so); other text unchanged."""
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if "T" not in value:
        return parsed.date().isoformat()
    text = parsed.strftime("%Y-%m-%d %H:%M")
    offset = parsed.utcoffset()
    if offset is not None:
        text += " UTC" if offset == dt.timedelta(0) else parsed.strftime(" %z")
    return text


def label_of(item: Item) -> str:
    """The item's text with its unit, e.g. ``Dose (mg)``."""
    return f"{item.text} ({item.unit})" if item.unit else item.text


def _option_text(item: Item, raw: Any) -> str:
    option = item.option_for(raw)
    return option.display if option is not None else str(raw)


def display_value(item: Item, raw: Any, *, with_unit: bool = True) -> str:
    """One answer as text; an empty string when unanswered."""
    if not is_answered(raw):
        return ""
    if isinstance(raw, bool):
        return "Yes" if raw else "No"
    if item.type in ("choice", "open-choice"):
        return _option_text(item, raw)
    if item.type == "multi-choice" or isinstance(raw, list):
        entries = raw if isinstance(raw, list) else [raw]
        return ", ".join(_option_text(item, entry) for entry in entries)
    if isinstance(raw, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in raw.items())
    if isinstance(raw, int | float):
        unit = f" {item.unit}" if item.unit and with_unit else ""
        return number_text(raw) + unit
    if item.type in ("integer", "decimal") and item.unit and with_unit:
        return f"{raw} {item.unit}"
    if item.type in ("date", "dateTime") and isinstance(raw, str):
        return display_time(raw)
    return str(raw)
