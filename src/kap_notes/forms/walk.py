"""Walk the enabled items of a form together with their answers (disabled subtrees are skipped)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kap_notes.forms.definition import FormDefinition, Item
from kap_notes.forms.enable import is_enabled
from kap_notes.forms.scope import Scope

EnabledKey = tuple[str | None, int | None, str]
"""(repeating group or instrument linkId, row index, item linkId)."""


@dataclass(frozen=True)
class Visit:
    """One enabled item, where it sits, and its raw answer."""

    item: Item
    raw: Any
    scope: Scope
    group: str | None = None
    row: int | None = None
    instrument: FormDefinition | None = None

    @property
    def key(self) -> EnabledKey:
        return (self.group, self.row, self.item.link_id)


def visit(
    definition: FormDefinition,
    answers: Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Iterator[Visit]:
    """Every enabled item (groups included) in document order. Never raises for bad answers."""
    scope = Scope.for_form(
        definition, answers if isinstance(answers, Mapping) else {}, context, settings
    )
    yield from _visit_items(definition.items, scope, None, None)


def enabled_keys(
    definition: FormDefinition,
    answers: Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
) -> set[EnabledKey]:
    """Keys of every enabled item for these answers."""
    return {v.key for v in visit(definition, answers, context)}


def _visit_items(
    items: tuple[Item, ...], scope: Scope, group: str | None, row: int | None
) -> Iterator[Visit]:
    for item in items:
        if not is_enabled(item, scope):
            continue
        raw = None if item.type == "group" and not item.repeats else scope.raw(item.link_id)
        yield Visit(item, raw, scope, group, row)
        if item.type == "group" and not item.repeats:
            yield from _visit_items(item.items, scope, group, row)
        elif item.repeats and isinstance(raw, list):
            for index, entry in enumerate(raw):
                if isinstance(entry, Mapping):
                    yield from _visit_items(item.items, scope.row(item, entry), item.link_id, index)
        elif item.instrument_url is not None and isinstance(raw, Mapping) and raw:
            instrument = scope.definition.instrument_for(item)
            inner = Scope.for_form(instrument, raw, scope.context, scope.settings)
            for found in _visit_items(instrument.items, inner, item.link_id, None):
                yield Visit(found.item, found.raw, found.scope, found.group, None, instrument)


def prune_disabled(
    definition: FormDefinition,
    answers: Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A copy of `answers` without answers to disabled items (e.g. a booster dose after "no
    booster", REMS fields after the route changed). Unknown keys are kept untouched."""
    if not isinstance(answers, Mapping):
        return {}
    known = definition_keys(definition)
    pruned: dict[str, Any] = {k: v for k, v in answers.items() if k not in known}
    for found in visit(definition, answers, context):
        item, link = found.item, found.item.link_id
        if found.group is None:
            if link not in answers or item.type == "display":
                continue
            pruned[link] = _container_copy(found.raw)
        elif isinstance(container := pruned.get(found.group), list) and found.row is not None:
            row = container[found.row]
            if isinstance(row, dict) and link in found.scope.answers:
                row[link] = found.raw
        elif isinstance(container, dict) and link in found.scope.answers:
            container[link] = found.raw
    return pruned


def definition_keys(definition: FormDefinition) -> set[str]:
    """linkIds that may appear at the top level of an answer dict."""
    return {item.link_id for item, row_group in definition.walk() if row_group is None}


def _container_copy(raw: Any) -> Any:
    if isinstance(raw, list):
        return [{} if isinstance(entry, Mapping) else entry for entry in raw]
    if isinstance(raw, Mapping):
        return {}
    return raw
