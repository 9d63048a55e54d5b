"""A repeating group (vitals rows, adverse events): rows added and removed by the clinician."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from kap_notes.forms import Item
from kap_notes.widgets.base import ChangeCallback, ItemWidget, Key, KeySet
from kap_notes.widgets.shared import shared
from kap_notes.widgets.style import label_html

if TYPE_CHECKING:
    from kap_notes.widgets.sections import Section


class RowWidget:
    """One row of a repeating group, with its own Remove button."""

    def __init__(self, owner: RowsWidget) -> None:
        item = owner.item
        parent = owner.section
        self.section = type(parent)(
            parent.definition, item.items, parent._notify, clock=parent.clock
        )
        self.remove = widgets.Button(
            description="Remove row",
            tooltip=f"Remove this {item.label} row",
            layout=shared("plain_layout"),
            style=shared("button_style"),
        )
        self.remove.on_click(lambda _button: owner.remove_row(self))
        self.title = widgets.HTML(layout=shared("plain_layout"), style=shared("html_style"))
        self.container = widgets.VBox(
            [
                widgets.HBox([self.title, self.remove], layout=shared("row_layout")),
                *self.section.boxes,
            ],
            layout=shared("rows_box_layout"),
        )


class RowsWidget(ItemWidget):
    """A repeating group (vitals, adverse events): add/remove rows, optional route presets."""

    def __init__(self, item: Item, section: Section) -> None:
        self.section = section
        self.rows: list[RowWidget] = []
        self._callbacks: list[ChangeCallback] = []
        self._unparsed: Any = None
        self._disabled = False
        self.rows_box = widgets.VBox(layout=shared("plain_layout"))
        self.add_button = widgets.Button(
            description=f"Add {item.label} row",
            icon="plus",
            layout=shared("plain_layout"),
            style=shared("button_style"),
        )
        self.add_button.on_click(lambda _button: self.add_row())
        buttons = [self.add_button]
        self.preset_button: Any = None
        if item.presets is not None and section.on_preset is not None:
            by = section.definition.find(item.presets.by)
            self.preset_button = widgets.Button(
                description=f"Fill rows for {by.label.lower() if by else item.presets.by}",
                tooltip="Add the preset rows for the chosen option",
                layout=shared("plain_layout"),
                style=shared("button_style"),
            )
            on_preset = section.on_preset
            self.preset_button.on_click(lambda _button: on_preset(self))
            buttons.append(self.preset_button)
        heading = widgets.HTML(
            label_html(item.text, required=item.required),
            layout=shared("plain_layout"),
            style=shared("html_style"),
        )
        bar = widgets.HBox(buttons, layout=shared("row_layout"))
        super().__init__(item, [heading, self.rows_box, bar])

    def observe(self, callback: ChangeCallback) -> None:
        self._callbacks.append(callback)

    def _changed(self) -> None:
        for callback in self._callbacks:
            callback()

    def add_row(self, values: Mapping[str, Any] | None = None, *, notify: bool = True) -> RowWidget:
        row = RowWidget(self)
        if values:
            row.section.set(values)
        row.section.set_disabled(self._disabled)
        row.remove.disabled = self._disabled
        self.rows.append(row)
        self._relabel()
        if notify:
            self._changed()
        return row

    def remove_row(self, row: RowWidget) -> None:
        if row in self.rows and not self._disabled:
            self.rows.remove(row)
            self._relabel()
            self._changed()

    def _relabel(self) -> None:
        for index, row in enumerate(self.rows, start=1):
            row.title.value = label_html(f"{self.item.label.capitalize()} row {index}")
        self.rows_box.children = tuple(row.container for row in self.rows)

    def get(self) -> Any:
        if self._unparsed is not None:
            return self._unparsed
        return [row.section.get() for row in self.rows] or None

    def set(self, value: Any) -> None:
        self._unparsed = value if value is not None and not isinstance(value, list) else None
        rows = value if isinstance(value, list) else []
        self.rows = []
        for entry in rows:
            self.add_row(entry if isinstance(entry, Mapping) else {}, notify=False)
        self._relabel()

    def set_disabled(self, disabled: bool) -> None:
        self._disabled = disabled
        self.add_button.disabled = disabled
        if self.preset_button is not None:
            self.preset_button.disabled = disabled
        for row in self.rows:
            row.section.set_disabled(disabled)
            row.remove.disabled = disabled

    def apply(self, enabled: KeySet, messages: Mapping[Key, list[str]], computed: Any) -> None:
        rows_computed = computed if isinstance(computed, list) else []
        for index, row in enumerate(self.rows):
            values = rows_computed[index] if index < len(rows_computed) else {}
            row.section.apply(enabled, messages, values, self.item.link_id, index)
