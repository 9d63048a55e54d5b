"""The declarative expression vocabulary for computed items, rules, flags and scoring.

An expression is a mapping, never code: ``{item: dose_mg}``, ``{context: patient_weight_kg}``,
``{setting: systolic_alert_mmhg}``, ``{const: 3}`` or ``{op: <name>, args: [...], items: [...]}``
where ``items`` is shorthand for ``args`` of ``{item: ...}`` references. Optional keys: ``round``
(decimal places), ``missing: skip`` (sum/max/min/mean/count ignore unanswered arguments instead of
giving no result), ``item``/``field`` for ``score``. Row operators read one field of a repeating
group: ``{op: first|last, item: vitals, field: systolic}`` (the first/last row with that field
answered) and ``{op: nearest, item: vitals, field: systolic, by: measured_at, args: [<time>]}``
(the row whose ``by`` time is nearest to the time given). A missing or unparseable argument makes
the result None (unknown), so rules and flags over incomplete answers simply do not fire.
"""

from __future__ import annotations

import operator
import statistics
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from kap_notes.forms.scope import Scope

_MAX_DEPTH = 32
Op = Callable[[list[Any], Mapping[str, Any], Scope], Any]


def evaluate(expression: Mapping[str, Any], scope: Scope, _depth: int = 0) -> Any:
    """Value of `expression` in `scope`; None when unknown. Never raises for bad answers."""
    if _depth > _MAX_DEPTH:
        return None
    if "const" in expression:
        return expression["const"]
    if "context" in expression:
        return _number_or_value(scope.context.get(str(expression["context"])))
    if "setting" in expression:
        return scope.settings.get(str(expression["setting"]))
    op_name = expression.get("op")
    if op_name is None and "item" in expression:
        return _item_value(str(expression["item"]), scope, _depth)
    op = OPERATORS.get(str(op_name))
    if op is None:
        return None
    args = [evaluate(arg, scope, _depth + 1) for arg in expression.get("args", ())]
    args += [_item_value(str(link), scope, _depth) for link in expression.get("items", ())]
    try:
        result = op(args, expression, scope)
    except (TypeError, ValueError, ArithmeticError):
        return None
    places = expression.get("round")
    if isinstance(result, float) and isinstance(places, int):
        result = round(result, places)
    return result


def _item_value(link_id: str, scope: Scope, depth: int) -> Any:
    item = scope.item(link_id)
    if item is not None and item.compute is not None:
        return evaluate(item.compute, scope, depth + 1)
    return scope.value(link_id)


def _number_or_value(raw: Any) -> Any:
    from kap_notes.forms.values import parse_date, parse_number  # noqa: PLC0415 - tiny helper

    if isinstance(raw, str):
        number = parse_number(raw)
        if number is not None:
            return number
        parsed = parse_date(raw)
        return parsed if parsed is not None else raw
    return raw


def _present(args: list[Any], expression: Mapping[str, Any]) -> list[Any] | None:
    """Arguments, or None if one is missing and missing values are not to be skipped."""
    if expression.get("missing") == "skip":
        kept = [a for a in args if a is not None]
        return kept or None
    if any(a is None for a in args) or not args:
        return None
    return args


def _numbers(args: list[Any], expression: Mapping[str, Any]) -> list[float] | None:
    present = _present(args, expression)
    if present is None or any(
        isinstance(a, bool) or not isinstance(a, int | float) for a in present
    ):
        return None
    return present


def _reduce(fn: Callable[[Sequence[float]], Any]) -> Op:
    def run(args: list[Any], expression: Mapping[str, Any], _scope: Scope) -> Any:
        numbers = _numbers(args, expression)
        return None if numbers is None else fn(numbers)

    return run


def _binary(fn: Callable[[Any, Any], Any]) -> Op:
    def run(args: list[Any], _expression: Mapping[str, Any], _scope: Scope) -> Any:
        if len(args) != 2 or args[0] is None or args[1] is None:
            return None
        return fn(args[0], args[1])

    return run


def _arith(fn: Callable[[float, float], float]) -> Op:
    def run(args: list[Any], expression: Mapping[str, Any], _scope: Scope) -> Any:
        numbers = _numbers(args, {}) if len(args) == 2 else None
        return None if numbers is None else fn(numbers[0], numbers[1])

    return run


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError("not a date")


def _days_between(start: Any, end: Any) -> int:
    return (_as_date(end) - _as_date(start)).days


def _minutes_between(start: Any, end: Any) -> float:
    if not (isinstance(start, datetime) and isinstance(end, datetime)):
        raise TypeError("not date-times")
    return (end - start).total_seconds() / 60


def _percent_change(baseline: float, current: float) -> float:
    return (float(current) - float(baseline)) / float(baseline) * 100


def _count(args: list[Any], _expression: Mapping[str, Any], _scope: Scope) -> int:
    return sum(len(a) if isinstance(a, list) else int(a is not None) for a in args)


def _all(args: list[Any], _expression: Mapping[str, Any], _scope: Scope) -> bool | None:
    if any(a is False for a in args):
        return False
    return None if any(a is None for a in args) else True


def _any(args: list[Any], _expression: Mapping[str, Any], _scope: Scope) -> bool | None:
    if any(a is True for a in args):
        return True
    return None if any(a is None for a in args) else False


def _not(args: list[Any], _expression: Mapping[str, Any], _scope: Scope) -> bool | None:
    return None if len(args) != 1 or not isinstance(args[0], bool) else not args[0]


def _add_minutes(start: Any, minutes: Any) -> datetime:
    if not isinstance(start, datetime) or isinstance(minutes, bool):
        raise TypeError("not a date-time and minutes")
    return start + timedelta(minutes=float(minutes))


def _row_values(expression: Mapping[str, Any], scope: Scope) -> list[tuple[Scope, Any]]:
    """(row scope, typed ``field`` value) of each row of the group ``item`` that answers it."""
    group = scope.item(str(expression.get("item")))
    rows = scope.raw(group.link_id) if group is not None and group.is_repeating_group else None
    if group is None or not isinstance(rows, list):
        return []
    top = scope if scope.parent is None else scope.parent
    field = str(expression.get("field"))
    scopes = [top.row(group, row) for row in rows if isinstance(row, Mapping)]
    valued = [(row, row.value(field)) for row in scopes]
    return [(row, value) for row, value in valued if value is not None]


def _first(_args: list[Any], expression: Mapping[str, Any], scope: Scope) -> Any:
    rows = _row_values(expression, scope)
    return rows[0][1] if rows else None


def _last(_args: list[Any], expression: Mapping[str, Any], scope: Scope) -> Any:
    rows = _row_values(expression, scope)
    return rows[-1][1] if rows else None


def _nearest(args: list[Any], expression: Mapping[str, Any], scope: Scope) -> Any:
    target = args[0] if len(args) == 1 else None
    if not isinstance(target, datetime):
        return None
    by = str(expression.get("by"))
    timed = [(row.value(by), value) for row, value in _row_values(expression, scope)]
    timed = [(at, value) for at, value in timed if isinstance(at, datetime)]
    if not timed:
        return None
    return min(timed, key=lambda pair: abs((pair[0] - target).total_seconds()))[1]


def _single(numbers: Sequence[float]) -> float:
    if len(numbers) != 1:
        raise ValueError("one argument expected")
    return numbers[0]


def _coalesce(args: list[Any], _expression: Mapping[str, Any], _scope: Scope) -> Any:
    return next((a for a in args if a is not None), None)


def _score(_args: list[Any], expression: Mapping[str, Any], scope: Scope) -> Any:
    from kap_notes.forms.scoring import score_instrument  # noqa: PLC0415 - scoring uses evaluate

    embed = scope.item(str(expression.get("item")))
    if embed is None or embed.instrument_url is None:
        return None
    answers = scope.raw(embed.link_id)
    instrument = scope.definition.instrument_for(embed)
    result = score_instrument(instrument, answers if isinstance(answers, Mapping) else {})
    return result.get(str(expression.get("field", "total")))


OPERATORS: dict[str, Op] = {
    "sum": _reduce(sum),
    "max": _reduce(max),
    "min": _reduce(min),
    "mean": _reduce(statistics.fmean),
    "count": _count,
    "divide": _arith(operator.truediv),
    "multiply": _arith(operator.mul),
    "subtract": _arith(operator.sub),
    "percent_change": _arith(_percent_change),
    "days_between": _binary(_days_between),
    "minutes_between": _binary(_minutes_between),
    "lt": _binary(operator.lt),
    "le": _binary(operator.le),
    "gt": _binary(operator.gt),
    "ge": _binary(operator.ge),
    "eq": _binary(operator.eq),
    "ne": _binary(operator.ne),
    "all": _all,
    "any": _any,
    "not": _not,
    "coalesce": _coalesce,
    "abs": _reduce(lambda numbers: abs(_single(numbers))),
    "add_minutes": _binary(_add_minutes),
    "first": _first,
    "last": _last,
    "nearest": _nearest,
    "score": _score,
}
"""Every operator a template may use; the loader rejects any other name."""
#: Operators that read a field (``field``, ``by``) of the rows of a repeating group (``item``).
ROW_OPERATORS = frozenset({"first", "last", "nearest"})


def references(expression: Mapping[str, Any]) -> list[str]:
    """Every linkId an expression reads (for load-time checks)."""
    found: list[str] = []
    if "item" in expression:
        found.append(str(expression["item"]))
    if expression.get("op") in ROW_OPERATORS:
        found += [str(expression[key]) for key in ("field", "by") if key in expression]
    found += [str(link) for link in expression.get("items", ())]
    for arg in expression.get("args", ()):
        if isinstance(arg, Mapping):
            found += references(arg)
    return found


def operator_names(expression: Mapping[str, Any]) -> list[str]:
    """Every operator name an expression uses (for load-time checks)."""
    names = [str(expression["op"])] if "op" in expression else []
    for arg in expression.get("args", ()):
        if isinstance(arg, Mapping):
            names += operator_names(arg)
    return names
