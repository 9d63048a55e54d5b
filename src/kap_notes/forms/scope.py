"""Where expressions and conditions find answers: a form, one repeating-group row, an instrument."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kap_notes.forms.definition import FormDefinition, Item
from kap_notes.forms.values import typed_value


@dataclass(frozen=True)
class ItemIndex:
    """linkId → Item for the top level (plain groups flattened) and for each repeating group."""

    top: Mapping[str, Item]
    rows: Mapping[str, Mapping[str, Item]]


@lru_cache(maxsize=512)
def item_index(definition: FormDefinition) -> ItemIndex:
    """Index of a definition's items (cached per definition object)."""
    top: dict[str, Item] = {}
    rows: dict[str, dict[str, Item]] = {}
    for item, row_group in definition.walk():
        if row_group is None:
            top[item.link_id] = item
        else:
            rows.setdefault(row_group.link_id, {})[item.link_id] = item
    return ItemIndex(top=top, rows=rows)


@dataclass(frozen=True)
class Scope:
    """Answers visible to an expression; a row scope falls back to its parent (the form)."""

    definition: FormDefinition
    answers: Mapping[str, Any]
    items: Mapping[str, Item]
    context: Mapping[str, Any]
    settings: Mapping[str, Any]
    parent: Scope | None = None

    @classmethod
    def for_form(
        cls,
        definition: FormDefinition,
        answers: Mapping[str, Any],
        context: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> Scope:
        return cls(
            definition=definition,
            answers=answers,
            items=item_index(definition).top,
            context=context or {},
            settings=settings or {},
        )

    def row(self, group: Item, row: Mapping[str, Any]) -> Scope:
        """The scope of one row of the repeating group `group`."""
        items = item_index(self.definition).rows.get(group.link_id, {})
        return Scope(self.definition, row, items, self.context, self.settings, parent=self)

    def item(self, link_id: str) -> Item | None:
        found = self.items.get(link_id)
        if found is None and self.parent is not None:
            return self.parent.item(link_id)
        return found

    def raw(self, link_id: str) -> Any:
        """The answer exactly as given (None if absent)."""
        if link_id in self.items:
            return self.answers.get(link_id)
        if self.parent is not None:
            return self.parent.raw(link_id)
        return None

    def value(self, link_id: str) -> Any:
        """The typed answer (numbers parsed, ISO dates as date objects) or None."""
        item = self.item(link_id)
        if item is None:
            return None
        raw = self.raw(link_id)
        if item.is_repeating_group or item.type == "instrument":
            return raw
        return typed_value(item, raw)
