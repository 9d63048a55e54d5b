"""The one renderer of answers for display: every view (notebook, PDF, review preview) uses it.

One answer given its template item: option text rather than codes, ``Yes``/``No``, multi-choice
joined with commas, numbers without trailing zeros and with their unit, typed dates and times via
:mod:`kap_notes.model.times` (``2026-01-05 10:30``), and repeating groups as rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kap_notes.forms import Item, get_template
from kap_notes.forms.values import is_answered, parse_number
from kap_notes.model.times import display_typed

YES, NO = "Yes", "No"

__all__ = [
    "NO",
    "YES",
    "display_answer",
    "display_plain",
    "display_rows",
    "form_answer",
    "label_of",
    "number_text",
    "signer_label",
]


def number_text(value: float | int) -> str:
    """``12`` for whole numbers, ``1.25`` otherwise (no trailing zeros)."""
    if isinstance(value, bool):
        return YES if value else NO
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def display_plain(value: Any) -> str:
    """A value without an item (table cells, computed values): blank, Yes/No, numbers, text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, list | tuple):
        return ", ".join(display_plain(v) for v in value)
    return str(value)


def label_of(item: Item) -> str:
    """The item's text with its unit, e.g. ``Dose (mg)``."""
    return f"{item.text} ({item.unit})" if item.unit else item.text


def _option_text(item: Item, raw: Any) -> str:
    option = item.option_for(raw)
    return option.display if option is not None else display_plain(raw)


def display_answer(item: Item, raw: Any, *, with_unit: bool = True) -> str:
    """One answer as text; an empty string when unanswered."""
    if not is_answered(raw):
        return ""
    if isinstance(raw, bool):
        return YES if raw else NO
    if item.type in ("date", "dateTime"):
        return display_typed(raw, item.type)
    if item.type in ("choice", "open-choice"):
        return _option_text(item, raw)
    if item.type == "multi-choice" or isinstance(raw, list):
        entries = raw if isinstance(raw, list) else [raw]
        return ", ".join(_option_text(item, entry) for entry in entries)
    if isinstance(raw, Mapping):
        return "; ".join(
            f"{child.text}: {display_answer(child, raw[child.link_id])}"
            if (child := _child(item, str(k))) is not None
            else f"{k}: {display_plain(v)}"
            for k, v in raw.items()
        )
    unit = f" {item.unit}" if item.unit and with_unit else ""
    number = raw if isinstance(raw, int | float) else None
    if number is None and item.type in ("integer", "decimal"):
        number = parse_number(raw)
    if number is not None:
        return number_text(number) + (_singular(unit) if number == 1 else unit)
    return str(raw)


def _singular(unit: str) -> str:
    """``1 day``, not ``1 days`` (units of time counted in whole numbers)."""
    return unit[:-1] if unit.strip() in ("days", "weeks", "months", "years", "hours") else unit


def _child(item: Item, link_id: str) -> Item | None:
    return next((c for c in item.items if c.link_id == link_id), None)


def display_rows(
    item: Item, rows: Any, computed_rows: Any = None
) -> tuple[list[str], list[list[str]]] | None:
    """A repeating group as ``(header, rows)``: only columns some row answers; units in the
    header, not the cells. ``None`` when there are no rows."""
    if not isinstance(rows, list) or not rows:
        return None
    extra = computed_rows if isinstance(computed_rows, list) else []
    merged = [
        {
            **(row if isinstance(row, Mapping) else {}),
            **(extra[i] if i < len(extra) and isinstance(extra[i], Mapping) else {}),
        }
        for i, row in enumerate(rows)
    ]
    columns = [
        child
        for child in item.items
        if child.type not in ("display", "group")
        and any(is_answered(r.get(child.link_id)) for r in merged)
    ]
    if not columns:
        return None
    header = [label_of(c) for c in columns]
    body = [
        [display_answer(c, row.get(c.link_id), with_unit=False) for c in columns] for row in merged
    ]
    return header, body


def form_answer(form: str, link_id: str, answer: Any) -> str:
    """An answer of the current template of ``form`` (found by linkId anywhere in it)."""
    if not is_answered(answer):
        return ""
    item = get_template(form).find(link_id)
    return display_answer(item, answer) if item is not None else display_plain(answer)


def signer_label(signature: Mapping[str, Any] | None, fallback: str) -> str:
    """Who signed, as signed: the name and credentials in the signature block (``Tess Taylor,
    LCSW``), else ``fallback`` (older signatures that carry no name)."""
    name = (signature or {}).get("signer_name")
    return str(name) if name else fallback
