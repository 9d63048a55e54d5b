"""Validate `{linkId: answer}` dicts: types, units, ranges, required, enableWhen, rules, signing.

Pure functions; bad answers produce issues, never exceptions. Messages use the clinician's words,
e.g. "Systolic BP 1200 mmHg is outside 60-260 mmHg (vitals row 2)" (en dash in the range).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kap_notes.forms.definition import FormDefinition, Item
from kap_notes.forms.expressions import evaluate
from kap_notes.forms.issues import ValidationIssue, ValidationResult
from kap_notes.forms.scope import Scope, item_index
from kap_notes.forms.values import is_answered, parse_number
from kap_notes.forms.walk import Visit, prune_disabled, visit
from kap_notes.model.times import parse_date, parse_datetime

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def validate(
    definition: FormDefinition,
    answers: Any,
    context: Mapping[str, Any] | None = None,
) -> ValidationResult:
    """Every issue in `answers`; errors block signing, a draft can always be saved."""
    if not isinstance(answers, Mapping):
        return ValidationResult(
            (ValidationIssue("", "Answers must be a mapping of linkId to answer", kind="shape"),)
        )
    issues: list[ValidationIssue] = []
    visits = list(visit(definition, answers, context))
    for found in visits:
        issues += _check(found, definition)
    enabled = {v.key for v in visits}
    pruned = prune_disabled(definition, answers, context)
    issues += _rule_issues(definition, pruned, context, enabled)
    issues += _embedded_rule_issues(definition, visits, context)
    issues += _signing_issues(definition, visits)
    issues += _unknown_keys(definition, answers)
    return ValidationResult(tuple(issues))


def describe(value: Any) -> str:
    """A short rendering of what was typed, for messages."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _where(found: Visit, definition: FormDefinition) -> str:
    if found.row is None or found.group is None:
        return ""
    group = item_index(definition).top.get(found.group)
    name = group.label.lower() if group else found.group
    return f" ({name} row {found.row + 1})"


def _issue(found: Visit, definition: FormDefinition, message: str, kind: str) -> ValidationIssue:
    return ValidationIssue(
        link_id=found.item.link_id,
        message=message + _where(found, definition),
        row=found.row,
        group=found.group,
        kind=kind,
    )


def _check(found: Visit, definition: FormDefinition) -> list[ValidationIssue]:
    item, raw = found.item, found.raw
    if item.type == "display" or item.is_computed or (item.type == "group" and not item.repeats):
        return []
    if not is_answered(raw):
        if item.required:
            what = "needs at least one row" if item.repeats else "is required"
            return [_issue(found, definition, f"{item.label} {what}", "required")]
        return []
    if item.repeats:
        return _rows_shape(found, definition)
    if item.instrument_url is not None:
        if not isinstance(raw, Mapping):
            return [_issue(found, definition, f"{item.label} answers must be a mapping", "shape")]
        return []
    problem = _answer_problem(item, raw)
    return [_issue(found, definition, problem[0], problem[1])] if problem else []


def _rows_shape(found: Visit, definition: FormDefinition) -> list[ValidationIssue]:
    label = _capitalised(found.item.label)
    if not isinstance(found.raw, list):
        return [_issue(found, definition, f"{label} must be a list of rows", "shape")]
    return [
        ValidationIssue(
            found.item.link_id, f"{label} row {i + 1} is not a row of answers", row=i, kind="shape"
        )
        for i, row in enumerate(found.raw)
        if not isinstance(row, Mapping)
    ]


def _answer_problem(item: Item, raw: Any) -> tuple[str, str] | None:
    """(message, kind) for one answered item, or None when it is fine."""
    label, kind = item.label, item.type
    if kind in ("integer", "decimal"):
        return _number_problem(item, raw)
    if kind in ("string", "text", "open-choice"):
        if not isinstance(raw, str):
            return f"{label} must be text, not {describe(raw)}", "type"
        if item.max_length is not None and len(raw) > item.max_length:
            return f"{label} is longer than {item.max_length} characters", "length"
        if item.pattern and not re.fullmatch(item.pattern, raw.strip()):
            hint = item.pattern_hint or f"in the form {item.pattern}"
            return f"{label} '{describe(raw)}' is not {hint}", "pattern"
        return None
    if kind == "boolean":
        return None if isinstance(raw, bool) else (f"{label} must be yes or no", "type")
    if kind == "date":
        if parse_date(raw) is None or not isinstance(raw, str):
            return f"{label} '{describe(raw)}' is not a date (YYYY-MM-DD)", "type"
        return None
    if kind == "dateTime":
        if parse_datetime(raw) is None or not isinstance(raw, str):
            return f"{label} '{describe(raw)}' is not a date and time (YYYY-MM-DD HH:MM)", "type"
        return None
    if kind == "choice":
        return None if item.option_for(raw) else _not_an_option(item, raw)
    if kind == "multi-choice":
        if not isinstance(raw, list):
            return f"{label} must be a list of choices", "type"
        wrong = [value for value in raw if item.option_for(value) is None]
        return _not_an_option(item, wrong[0]) if wrong else None
    return None


def _not_an_option(item: Item, raw: Any) -> tuple[str, str]:
    allowed = ", ".join(option.display for option in item.options)
    return f"{item.label} '{describe(raw)}' is not one of: {allowed}", "choice"


def _number_problem(item: Item, raw: Any) -> tuple[str, str] | None:
    label = item.label
    number = parse_number(raw)
    if number is None:
        return f"{label} '{describe(raw)}' is not a number", "type"
    if item.type == "integer" and parse_number(raw, integer=True) is None:
        return f"{label} '{describe(raw)}' is not a whole number", "type"
    low, high = item.range_min, item.range_max
    if (low is not None and number < low) or (high is not None and number > high):
        unit = f" {item.unit}" if item.unit else ""
        shown = raw.strip() if isinstance(raw, str) else describe(number)
        return f"{label} {shown}{unit} is outside {item.range_text()}", "range"
    return None


def _rule_issues(
    definition: FormDefinition,
    answers: Mapping[str, Any],
    context: Mapping[str, Any] | None,
    enabled: set[tuple[str | None, int | None, str]],
) -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []
    top = Scope.for_form(definition, answers, context)
    for rule in definition.rules:
        for scope, row in _rule_scopes(definition, top, rule.scope):
            if (rule.scope, row, rule.link_id) not in enabled:
                continue
            if evaluate(rule.check, scope) is False:
                message = format_message(rule.message, scope)
                if row is not None:
                    group = item_index(definition).top[str(rule.scope)]
                    message += f" ({group.label.lower()} row {row + 1})"
                issues.append(
                    ValidationIssue(rule.link_id, message, "error", row, rule.scope, "rule")
                )
    return issues


def _embedded_rule_issues(
    definition: FormDefinition, visits: list[Visit], context: Mapping[str, Any] | None
) -> list[ValidationIssue]:
    """The rules of each answered embedded instrument (e.g. a QIDS-SR16 total that contradicts
    its items), reported against the embedding item."""
    issues: list[ValidationIssue] = []
    for found in visits:
        item, raw = found.item, found.raw
        if found.instrument is not None or item.instrument_url is None:
            continue
        if not isinstance(raw, Mapping) or not raw:
            continue
        instrument = definition.instrument_for(item)
        if not instrument.rules:
            continue
        enabled = {v.key for v in visit(instrument, raw, context)}
        pruned = prune_disabled(instrument, raw, context)
        issues += [
            ValidationIssue(
                issue.link_id,
                issue.message,
                issue.severity,
                issue.row,
                item.link_id,
                issue.kind,
            )
            for issue in _rule_issues(instrument, pruned, context, enabled)
        ]
    return issues


def _rule_scopes(
    definition: FormDefinition, top: Scope, group_id: str | None
) -> list[tuple[Scope, int | None]]:
    if group_id is None:
        return [(top, None)]
    rows = top.raw(group_id)
    group = item_index(definition).top[group_id]
    if not isinstance(rows, list):
        return []
    return [(top.row(group, r), i) for i, r in enumerate(rows) if isinstance(r, Mapping)]


def format_message(template: str, scope: Scope) -> str:
    """Fill ``{linkId}``, ``{context key}`` and ``{setting}`` placeholders (no str.format)."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if scope.item(name) is not None:
            raw = scope.raw(name)
            return describe(raw) if is_answered(raw) else "?"
        if name in scope.context:
            return describe(scope.context[name])
        return describe(scope.settings.get(name, "?"))

    return _PLACEHOLDER.sub(fill, template)


def _signing_issues(definition: FormDefinition, visits: list[Visit]) -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []
    for requirement in definition.signing_requires:
        group = item_index(definition).top.get(requirement.group)
        if group is None or not any(v.item is group for v in visits):
            continue  # group disabled (e.g. not a Spravato session)
        members = {id(child) for child, _ in _descendants(group)}
        missing = [
            v
            for v in visits
            if id(v.item) in members
            and v.item.type not in ("group", "display")
            and not v.item.is_computed
            and not is_answered(v.raw)
            and not v.item.required  # required ones are already reported
        ]
        issues += [
            ValidationIssue(
                v.item.link_id, f"{v.item.label} is required before signing", kind="signing"
            )
            for v in missing
        ]
        if missing:
            issues.append(ValidationIssue(group.link_id, requirement.message, kind="signing"))
    return issues


def _descendants(group: Item) -> list[tuple[Item, Item]]:
    found: list[tuple[Item, Item]] = []
    for child in group.items:
        found.append((child, group))
        found += _descendants(child)
    return found


def _unknown_keys(definition: FormDefinition, answers: Mapping[str, Any]) -> list[ValidationIssue]:
    known = item_index(definition).top
    return [
        ValidationIssue(
            str(key),
            f"Field '{describe(key)}' is not part of {definition.title} {definition.version}; "
            "it is kept but not checked",
            severity="warning",
            kind="unknown",
        )
        for key in answers
        if key not in known
    ]
