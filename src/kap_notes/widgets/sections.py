"""Containers of item widgets: the form body, plain groups, repeating-group rows, instruments."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets

from kap_notes.forms import FormDefinition, Item, enabled_keys
from kap_notes.records.display import display_plain
from kap_notes.widgets.base import help_widget
from kap_notes.widgets.fields import (
    FIELD_BUILDERS,
    ChangeCallback,
    ComputedWidget,
    ItemWidget,
    NoteChoiceField,
    group_heading,
)
from kap_notes.widgets.pickers import Clock, TimeField, clinic_clock
from kap_notes.widgets.shared import shared
from kap_notes.widgets.style import label_html

Key = tuple[str | None, int | None, str]
KeySet = set[Key]


class Section:
    """Widgets for a list of items sharing one answer dict (plain groups are flattened into it).

    ``clock`` is the clinic's "now" for the pickers' Now buttons; ``choices`` maps a context key
    (an item's ``initial_from_context``) to the notes that item may be chosen from.
    """

    def __init__(
        self,
        definition: FormDefinition,
        items: tuple[Item, ...],
        on_change: ChangeCallback,
        on_preset: Callable[[RowsWidget], None] | None = None,
        *,
        clock: Clock | None = None,
        choices: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    ) -> None:
        self.definition = definition
        self.on_change = on_change
        self.on_preset = on_preset
        self.clock = clock or clinic_clock()
        self.choices = dict(choices or {})
        self.widgets: dict[str, ItemWidget] = {}
        self.answerable: dict[str, ItemWidget] = {}
        #: Answers of items not built (or not answerable here): kept and returned as they are.
        self.extra: dict[str, Any] = {}
        #: Items with an enableWhen, not built until first enabled (see :class:`LazyItem`).
        self.pending: dict[str, LazyItem] = {}
        self._muted = False
        self._disabled = False
        self.boxes = [self.build(item).container for item in items if not item.hidden]

    def _notify(self) -> None:
        if not self._muted:
            self.on_change()

    def build(self, item: Item) -> ItemWidget:
        """The widget for `item` (registered by linkId; answerable ones are observed).

        An item shown only under a condition (enableWhen) is a placeholder until first enabled:
        a form reaches the browser without the widgets of sections nobody sees yet."""
        key = item.initial_from_context
        if item.enable_when and not (key is not None and key in self.choices):
            lazy = self.pending[item.link_id] = LazyItem(item)
            self.widgets[item.link_id] = lazy
            return lazy
        return self._register(item, self._make(item))

    def _make(self, item: Item) -> ItemWidget:
        key = item.initial_from_context
        if item.is_computed:
            return ComputedWidget(item)
        if key is not None and key in self.choices:
            return NoteChoiceField(item, self.choices[key])
        return WIDGET_BUILDERS[item.type](item, self)

    def _register(self, item: Item, built: ItemWidget) -> ItemWidget:
        self.widgets[item.link_id] = built
        if (not item.is_computed and item.type not in ("group", "display")) or item.repeats:
            self.answerable[item.link_id] = built
            built.observe(self._notify)
        return built

    def realize(self, lazy: LazyItem) -> ItemWidget:
        """Build a placeholder's widgets in its place, showing the answers kept meanwhile."""
        self.pending.pop(lazy.item.link_id, None)
        before, answerable = set(self.widgets), set(self.answerable)
        self._muted = True  # showing kept answers is not the clinician typing
        try:
            real = self._register(lazy.item, self._make(lazy.item))
            lazy.adopt(real)
            for link in self.answerable.keys() - answerable:
                self.answerable[link].set(self.extra.pop(link, None))
            for link in self.widgets.keys() - before | {lazy.item.link_id}:
                self.widgets[link].set_disabled(self._disabled)
        finally:
            self._muted = False
        return real

    def read(self, link: str) -> Any:
        """The answer to `link`, built or not."""
        widget = self.answerable.get(link)
        return widget.get() if widget is not None else self.extra.get(link)

    def write(self, link: str, value: Any) -> None:
        """Set the answer to `link`, built or not (None clears)."""
        widget = self.answerable.get(link)
        if widget is not None:
            widget.set(value)
        elif value is None:
            self.extra.pop(link, None)
        else:
            self.extra[link] = value

    def get(self) -> dict[str, Any]:
        values = {k: v for k, v in self.extra.items() if k not in self.answerable}
        for link, widget in self.answerable.items():
            value = widget.get()
            if value is not None:
                values[link] = value
        return values

    def set(self, values: Mapping[str, Any]) -> None:
        for link, widget in self.answerable.items():
            widget.set(values.get(link))
        self.extra = {k: v for k, v in values.items() if k not in self.answerable}

    def set_disabled(self, disabled: bool) -> None:
        self._disabled = disabled
        for widget in self.widgets.values():
            widget.set_disabled(disabled)

    def apply(
        self,
        enabled: KeySet,
        messages: Mapping[Key, list[str]],
        computed: Mapping[str, Any],
        group: str | None = None,
        row: int | None = None,
    ) -> None:
        """Show/hide by enableWhen, inline messages and computed values for this section."""
        ready = [lazy for link, lazy in self.pending.items() if (group, row, link) in enabled]
        while ready:  # a group built now may hold placeholders enabled already
            for lazy in ready:
                self.realize(lazy)
            ready = [lazy for link, lazy in self.pending.items() if (group, row, link) in enabled]
        for link, widget in self.widgets.items():
            key = (group, row, link)
            widget.set_visible(key in enabled)
            widget.show_messages(messages.get(key, []))
            if isinstance(widget, ComputedWidget):
                widget.show_value(computed.get(link))
            elif isinstance(widget, RowsWidget):
                widget.apply(enabled, messages, computed.get(link))
            elif isinstance(widget, InstrumentWidget):
                widget.apply(messages, computed.get(link))


class LazyItem(ItemWidget):
    """An item hidden by its enableWhen, not built yet: one empty hidden box in its place.

    When first enabled the section builds the real widget, which takes over this box."""

    def __init__(self, item: Item) -> None:
        super().__init__(item, [], hidden=True)

    def adopt(self, real: ItemWidget) -> None:
        """Show `real` in this box (already placed in the form): a group's content moves in,
        a field row (another kind of box) goes inside."""
        built = real.container
        if type(built) is type(self.container):
            self.container.children = built.children
            self.container._dom_classes = built._dom_classes
            built.children = ()
            built.close()
            real.container = self.container
        else:
            self.container.children = (built,)
            self.container._dom_classes = ()
        self.container.layout.display = None


class GroupWidget(ItemWidget):
    """A plain group: a heading and its children (their answers live in the parent dict)."""

    def __init__(self, item: Item, section: Section) -> None:
        children = [section.build(child).container for child in item.items if not child.hidden]
        head = [group_heading(item.text)] + ([help_widget(item.help)] if item.help else [])
        super().__init__(item, [*head, *children])


class RowWidget:
    """One row of a repeating group, with its own Remove button."""

    def __init__(self, owner: RowsWidget) -> None:
        item = owner.item
        parent = owner.section
        self.section = Section(parent.definition, item.items, parent._notify, clock=parent.clock)
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


class InstrumentWidget(ItemWidget):
    """An embedded instrument: its items and a live total, band and derived values."""

    def __init__(self, item: Item, section: Section) -> None:
        self.instrument = section.definition.instrument_for(item)
        self.section = Section(
            self.instrument, self.instrument.items, section._notify, clock=section.clock
        )
        self.score = widgets.HTML(
            score_text(self.instrument, None),
            layout=shared("plain_layout"),
            style=shared("html_style"),
        )
        heading = group_heading(item.text)
        intro = [help_widget(self.instrument.description)] if self.instrument.description else []
        super().__init__(item, [heading, *intro, *self.section.boxes, self.score])

    def observe(self, callback: ChangeCallback) -> None:
        """Children already report changes through the section."""

    def get(self) -> Any:
        return self.section.get() or None

    def set(self, value: Any) -> None:
        self.section.set(value if isinstance(value, Mapping) else {})

    def set_disabled(self, disabled: bool) -> None:
        self.section.set_disabled(disabled)

    def apply(self, messages: Mapping[Key, list[str]], score: Any) -> None:
        answers = self.section.get()
        enabled: KeySet = {
            (self.item.link_id, None, link) for _, _, link in enabled_keys(self.instrument, answers)
        }
        self.section.apply(enabled, messages, {}, self.item.link_id, None)
        self.score.value = score_text(self.instrument, score)


def score_text(instrument: FormDefinition, score: Any) -> str:
    """``Total 12 (0-27), Moderate`` plus derived values, as theme-coloured HTML."""
    spec = instrument.score
    if spec is None or not isinstance(score, Mapping):
        return label_html(f"{instrument.title}: not scored yet")
    parts: list[str] = []
    if spec.total is not None:
        total = score.get("total")
        bounds = (
            f" ({spec.total_min:g}\u2013{spec.total_max:g})" if spec.total_max is not None else ""
        )
        band = f" \u2014 {score['band_label']}" if score.get("band_label") else ""
        parts.append(f"Total {display_plain(total) or '—'}{bounds}{band}")
    for name, label in spec.derived_labels.items():
        parts.append(f"{label}: {display_plain(score.get(name)) or '—'}")
    return label_html(f"{instrument.title} \u2014 " + "; ".join(parts))


def _field(item: Item, section: Section) -> ItemWidget:
    built = FIELD_BUILDERS[item.type](item)
    if isinstance(built, TimeField):
        built.clock = section.clock
    return built


def _group(item: Item, section: Section) -> ItemWidget:
    return RowsWidget(item, section) if item.repeats else GroupWidget(item, section)


WIDGET_BUILDERS: dict[str, Callable[[Item, Section], ItemWidget]] = {
    **dict.fromkeys(FIELD_BUILDERS, _field),
    "group": _group,
    "instrument": InstrumentWidget,
}
"""Every item type → the builder of its widget (STYLE rule 5: a plain dict, not a chain of ifs)."""
