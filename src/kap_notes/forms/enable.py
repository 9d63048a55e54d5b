"""enableWhen: FHIR-style conditions deciding whether an item is shown and checked."""

from __future__ import annotations

from typing import Any

from kap_notes.forms.definition import EnableWhen, Item
from kap_notes.forms.scope import Scope
from kap_notes.forms.values import is_answered, parse_date, parse_number, typed_value


def is_enabled(item: Item, scope: Scope) -> bool:
    """Whether `item`'s own conditions hold (ancestors are checked by the caller's walk)."""
    if not item.enable_when:
        return True
    results = (condition_met(condition, scope) for condition in item.enable_when)
    return any(results) if item.enable_behavior == "any" else all(results)


def condition_met(condition: EnableWhen, scope: Scope) -> bool:
    raw = scope.raw(condition.question)
    item = scope.item(condition.question)
    answered = is_answered(raw)
    if condition.operator == "exists":
        return answered == bool(condition.answer)
    if not answered or item is None:
        return condition.operator == "!="
    if condition.operator in ("=", "!="):
        equal = _matches(item, raw, condition.answer)
        return equal if condition.operator == "=" else not equal
    return _ordered(item, raw, condition.operator, condition.answer)


def _matches(item: Item, raw: Any, expected: Any) -> bool:
    wanted = expected if isinstance(expected, list) else [expected]
    if isinstance(raw, bool) or item.type == "boolean":
        return any(isinstance(w, bool) and raw is w for w in wanted)
    if isinstance(raw, list):
        return any(str(a) == str(w) for a in raw for w in wanted)
    if item.type in ("integer", "decimal"):
        value = parse_number(raw)
        return value is not None and any(parse_number(w) == value for w in wanted)
    return any(str(raw) == str(w) for w in wanted)


def _ordered(item: Item, raw: Any, operator: str, expected: Any) -> bool:
    value = typed_value(item, raw)
    target = parse_date(expected) if item.type == "date" else parse_number(expected)
    if value is None or target is None:
        return False
    try:
        if operator == ">":
            return bool(value > target)
        if operator == "<":
            return bool(value < target)
        if operator == ">=":
            return bool(value >= target)
        return bool(value <= target)
    except TypeError:
        return False
