"""Containers of item widgets: the form body (a section), plain groups, items built lazily;
repeating groups and instruments live in `rows` and `instrument`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kap_notes.forms import FormDefinition, Item
from kap_notes.widgets.base import ChangeCallback, ItemWidget, Key, KeySet, help_widget
from kap_notes.widgets.fields import FIELD_BUILDERS, ComputedWidget, NoteChoiceField, group_heading
from kap_notes.widgets.instrument import InstrumentWidget, score_text
from kap_notes.widgets.pickers import Clock, TimeField, clinic_clock
from kap_notes.widgets.rows import RowsWidget, RowWidget

__all__ = [
    "WIDGET_BUILDERS",
    "GroupWidget",
    "InstrumentWidget",
    "Key",
    "KeySet",
    "LazyItem",
    "RowWidget",
    "RowsWidget",
    "Section",
    "score_text",
]


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
        a form reaches the browser without the widgets of sections nobody sees yet. Items
        holding a note chooser are built at once (the form picks its default on opening)."""
        if item.enable_when and not self._chooses(item):
            lazy = self.pending[item.link_id] = LazyItem(item)
            self.widgets[item.link_id] = lazy
            return lazy
        return self._register(item, self._make(item))

    def _chooses(self, item: Item) -> bool:
        """Whether `item` or an item in it is chosen from the patient's notes."""
        key = item.initial_from_context
        return (key is not None and key in self.choices) or any(map(self._chooses, item.items))

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
