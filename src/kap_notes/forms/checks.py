"""Load-time checks the JSON Schema cannot express: references, duplicates, ranges, bands."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from kap_notes.forms.expressions import OPERATORS, operator_names, references
from kap_notes.forms.settings_schema import THRESHOLDS

Doc = Mapping[str, Any]


def semantic_problems(doc: Doc) -> list[str]:
    """Problems as ``item 'linkId': what is wrong`` (the caller prefixes the file name)."""
    problems: list[str] = []
    items = list(_walk(doc["items"]))
    by_id: dict[str, Doc] = {}
    for item, _ in items:
        link = item["linkId"]
        if link in by_id:
            problems.append(f"item '{link}': linkId is used more than once")
        by_id[link] = item
    context_keys = {c["key"] for c in doc.get("context", ())}
    for item, _ in items:
        problems += [f"item '{item['linkId']}': {p}" for p in _item_problems(item, by_id)]
        if "compute" in item:
            problems += _expression_problems(
                f"item '{item['linkId']}'", item["compute"], by_id, context_keys
            )
    for rule in doc.get("rules", ()):
        where = f"rule '{rule['id']}'"
        problems += _scoped_problems(where, rule, by_id)
        problems += _expression_problems(where, rule["check"], by_id, context_keys)
    for flag in doc.get("flags", ()):
        where = f"flag '{flag['id']}'"
        problems += _scoped_problems(where, flag, by_id)
        problems += _expression_problems(where, flag["when"], by_id, context_keys)
    for requirement in doc.get("signing_requires", ()):
        group = by_id.get(requirement["group"])
        if group is None or group["type"] != "group":
            problems.append(f"signing_requires: '{requirement['group']}' is not a group linkId")
    problems += _score_problems(doc.get("score"), by_id, context_keys | {"total"})
    return problems


def _walk(items: list[Doc], row: str | None = None) -> Iterator[tuple[Doc, str | None]]:
    for item in items:
        yield item, row
        if "item" in item:
            yield from _walk(item["item"], item["linkId"] if item.get("repeats") else row)


def _item_problems(item: Doc, by_id: Mapping[str, Doc]) -> list[str]:
    problems: list[str] = []
    bounds = item.get("range", {})
    if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
        problems.append(f"range min {bounds['min']} is above max {bounds['max']}")
    if "range" in item and item["type"] not in ("integer", "decimal"):
        problems.append(f"a range is only allowed on integer/decimal items, not {item['type']}")
    codes = [str(o["code"]) for o in item.get("options", ())]
    if len(codes) != len(set(codes)):
        problems.append("option codes must be unique")
    if item["type"] == "display" and item.get("required"):
        problems.append("a display item cannot be required")
    for condition in item.get("enableWhen", ()):
        if condition["question"] not in by_id:
            problems.append(f"enableWhen refers to unknown linkId '{condition['question']}'")
    presets = item.get("presets")
    if presets is not None:
        problems += _preset_problems(item, presets, by_id)
    return problems


def _preset_problems(item: Doc, presets: Doc, by_id: Mapping[str, Doc]) -> list[str]:
    problems: list[str] = []
    chooser = by_id.get(presets["by"])
    if chooser is None or "options" not in chooser:
        return [f"presets.by '{presets['by']}' is not a choice item"]
    codes = {str(o["code"]) for o in chooser["options"]}
    row_ids = {child["linkId"] for child in item["item"]}
    for choice, rows in presets["rows"].items():
        if choice not in codes:
            problems.append(f"preset for '{choice}' is not an option of '{presets['by']}'")
        for row in rows:
            unknown = sorted(set(row["values"]) - row_ids)
            if unknown:
                problems.append(f"preset row for '{choice}' sets unknown fields {unknown}")
    for key in ("start", "time_field"):
        if key in presets and presets[key] not in by_id:
            problems.append(f"presets.{key} refers to unknown linkId '{presets[key]}'")
    return problems


def _scoped_problems(where: str, entry: Doc, by_id: Mapping[str, Doc]) -> list[str]:
    problems: list[str] = []
    scope = entry.get("scope")
    if scope is not None and not by_id.get(scope, {}).get("repeats"):
        problems.append(f"{where}: scope '{scope}' is not a repeating group")
    if entry["linkId"] not in by_id:
        problems.append(f"{where}: linkId '{entry['linkId']}' is unknown")
    return problems


def _expression_problems(
    where: str, expression: Doc, by_id: Mapping[str, Doc], context_keys: set[str]
) -> list[str]:
    problems = [
        f"{where}: unknown operator '{name}' (allowed: {', '.join(sorted(OPERATORS))})"
        for name in operator_names(expression)
        if name not in OPERATORS
    ]
    problems += [
        f"{where}: expression refers to unknown linkId '{link}'"
        for link in references(expression)
        if link not in by_id
    ]
    problems += [
        f"{where}: context '{key}' is not declared in the template's context list"
        for key in _context_keys(expression)
        if key not in context_keys
    ]
    problems += [
        f"{where}: setting '{name}' is not a clinic setting (known: {', '.join(THRESHOLDS)})"
        for name in _setting_names(expression)
        if name not in THRESHOLDS
    ]
    return problems


def _setting_names(expression: Doc) -> list[str]:
    names = [str(expression["setting"])] if "setting" in expression else []
    for arg in expression.get("args", ()):
        names += _setting_names(arg)
    return names


def _context_keys(expression: Doc) -> list[str]:
    keys = [str(expression["context"])] if "context" in expression else []
    for arg in expression.get("args", ()):
        keys += _context_keys(arg)
    return keys


def _score_problems(score: Doc | None, by_id: Mapping[str, Doc], keys: set[str]) -> list[str]:
    if score is None:
        return []
    problems: list[str] = []
    total = score.get("total")
    if total is not None:
        problems += _expression_problems("score.total", total["expr"], by_id, keys)
    for name, derived in score.get("derived", {}).items():
        problems += _expression_problems(f"score.derived '{name}'", derived["expr"], by_id, keys)
    bands = sorted(score.get("bands", ()), key=lambda b: b["min"])
    for band in bands:
        if band["min"] > band["max"]:
            problems.append(f"score band '{band['code']}': min is above max")
    for lower, upper in itertools.pairwise(bands):
        if upper["min"] <= lower["max"]:
            problems.append(f"score bands '{lower['code']}' and '{upper['code']}' overlap")
    return problems
