"""Computed values (mg/kg, days since dosing, instrument totals and bands) and review flags."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kap_notes.forms.definition import FormDefinition
from kap_notes.forms.expressions import evaluate
from kap_notes.forms.issues import Flag
from kap_notes.forms.scope import Scope
from kap_notes.forms.scoring import score_instrument
from kap_notes.forms.settings import ClinicSettings
from kap_notes.forms.validation import describe, format_message
from kap_notes.forms.values import to_json
from kap_notes.forms.walk import prune_disabled, visit


def compute(
    definition: FormDefinition,
    answers: Any,
    context: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Computed values keyed by linkId (JSON-friendly; None when unknown).

    - a computed item → its value, e.g. ``{"dose_mg_per_kg": 1.1, "days_since_dosing": 3}``;
    - a computed item inside a repeating group → ``{group: [{linkId: value}, ...]}``;
    - an answered embedded instrument → its score dict (see `score_instrument`), e.g.
      ``{"phq9": {"total": 12, "band": "moderate", "band_label": "Moderate", ...}}``;
    - for an instrument definition itself, the score dict.
    """
    answers = answers if isinstance(answers, Mapping) else {}
    if definition.kind == "instrument":
        return score_instrument(definition, answers, context)
    answers = prune_disabled(definition, answers, context)
    result: dict[str, Any] = {}
    for found in visit(definition, answers, context):
        item = found.item
        if found.instrument is not None:
            continue
        if item.compute is not None:
            value = to_json(evaluate(item.compute, found.scope))
            if found.group is None:
                result[item.link_id] = value
            else:
                rows = result.setdefault(found.group, [])
                while len(rows) <= (found.row or 0):
                    rows.append({})
                rows[found.row or 0][item.link_id] = value
        elif item.instrument_url is not None and isinstance(found.raw, Mapping) and found.raw:
            instrument = definition.instrument_for(item)
            result[item.link_id] = score_instrument(instrument, found.raw, context)
    return result


def flags(
    definition: FormDefinition,
    answers: Any,
    context: Mapping[str, Any] | None = None,
    settings: ClinicSettings | None = None,
) -> list[Flag]:
    """For-review flags from the template data and the clinic's settings; never advice."""
    answers = prune_disabled(definition, answers, context) if isinstance(answers, Mapping) else {}
    setting_values = (settings or ClinicSettings()).as_mapping()
    raised: list[Flag] = []
    for found in visit(definition, answers, context, setting_values):
        item = found.item
        if found.instrument is None and found.group is None and item.is_repeating_group:
            rows = found.raw if isinstance(found.raw, list) else []
            for index, row in enumerate(rows):
                if isinstance(row, Mapping):
                    scope = found.scope.row(item, row)
                    raised += _raise(definition, scope, item.link_id, index)
        elif item.instrument_url is not None and isinstance(found.raw, Mapping) and found.raw:
            instrument = definition.instrument_for(item)
            scope = Scope.for_form(instrument, found.raw, context, setting_values)
            raised += _raise(instrument, scope, item.link_id, None, scoped=False)
    top = Scope.for_form(definition, answers, context, setting_values)
    if definition.kind == "instrument":
        return _raise(definition, top, None, None, scoped=False)
    return _raise(definition, top, None, None) + raised


def _raise(
    definition: FormDefinition,
    scope: Scope,
    group: str | None,
    row: int | None,
    *,
    scoped: bool = True,
) -> list[Flag]:
    found: list[Flag] = []
    for rule in definition.flag_rules:
        if scoped and rule.scope != group:
            continue
        if evaluate(rule.when, scope) is True:
            message = format_message(_fill_computed(rule.message, scope), scope)
            if row is not None:
                message += f" ({_row_label(definition, group)} row {row + 1})"
            found.append(Flag(rule.id, rule.link_id, message, row, group))
    return found


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _fill_computed(template: str, scope: Scope) -> str:
    """Fill ``{linkId}`` placeholders of computed items (e.g. mg/kg) with their values."""

    def fill(match: re.Match[str]) -> str:
        item = scope.item(match.group(1))
        if item is None or item.compute is None:
            return match.group(0)
        value = to_json(evaluate(item.compute, scope))
        return "?" if value is None else describe(value)

    return _PLACEHOLDER.sub(fill, template)


def _row_label(definition: FormDefinition, group: str | None) -> str:
    item = definition.find(group) if group else None
    return item.label.lower() if item else str(group)
