"""The base of every item's widget: a labelled container with inline messages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets

from kap_notes.forms import Item
from kap_notes.widgets.shared import is_shared, shared
from kap_notes.widgets.style import help_html, label_html, message_list

ChangeCallback = Callable[[], None]
Key = tuple[str | None, int | None, str]
"""Where an answer lives: (repeating group, row, linkId); plain groups are flattened (None)."""
KeySet = set[Key]


class ItemWidget:
    """Base of every item's widget: a container with a visible label and an inline message area."""

    def __init__(
        self,
        item: Item,
        body: list[Any],
        *,
        hidden: bool = False,
        row: tuple[str, ...] | None = None,
    ) -> None:
        """`row`: the item is one field row (an HBox with these extra classes), else a VBox."""
        self.item = item
        self._messages: Any = None
        self._shown: tuple[list[str], str] = ([], "error")
        self._visible = not hidden
        # The kap-* DOM classes are read by labextension/src/a11y.ts (labels and ARIA); given
        # at construction they travel with the widget's first state (no extra messages).
        # A shared layout until first hidden (most items never are): one model fewer each.
        shape = "field_layout" if row is not None else "plain_layout"
        layout = _hidden_layout(shared(shape)) if hidden else shared(shape)
        box = widgets.HBox if row is not None else widgets.VBox
        self.container = box(body, layout=layout, _dom_classes=("kap-item", *(row or ())))

    def get(self) -> Any:
        """The answer (None when unanswered)."""
        return None

    def set(self, value: Any) -> None:
        """Show `value`; None clears."""

    def observe(self, callback: ChangeCallback) -> None:
        """Call `callback` whenever the clinician changes the answer."""

    def set_disabled(self, disabled: bool) -> None:
        """Read-only (signed note) or editable."""

    def set_visible(self, visible: bool) -> None:
        if visible != self._visible:
            self._visible = visible
            if not is_shared(self.container.layout):
                self.container.layout.display = None if visible else "none"
            elif not visible:
                self.container.layout = _hidden_layout(self.container.layout)

    @property
    def messages(self) -> list[str]:
        """The inline messages currently shown."""
        return list(self._shown[0])

    def show_messages(self, messages: list[str], kind: str = "error") -> None:
        """Inline validation messages under the field (created on first use)."""
        if (messages, kind) == self._shown:
            return
        self._shown = (list(messages), kind)
        if self._messages is None:
            if not messages:
                return
            self._messages = widgets.HTML(  # aria-describedby; a line of its own in a row
                layout=shared("full_layout"),
                style=shared("html_style"),
                _dom_classes=("kap-messages",),
            )
            self.container.children = (*self.container.children, self._messages)
        self._messages.value = message_list(messages, kind)
        invalid = bool(messages) and kind == "error"
        if invalid != ("kap-invalid" in self.container._dom_classes):
            (self.container.add_class if invalid else self.container.remove_class)("kap-invalid")


class FieldWidget(ItemWidget):
    """A labelled input whose ipywidget holds the answer."""

    def __init__(self, item: Item, control: Any, extras: Sequence[Any] = ()) -> None:
        self.control = control
        self.label = widgets.HTML(
            label_html(item.text, required=item.required, unit=item.unit),
            layout=shared("label_layout"),
            style=shared("html_style"),
            _dom_classes=("kap-label",),  # names the control next to it (aria-labelledby)
        )
        control.description = ""
        control.tooltip = item.text
        # One box is the item and its field row (label, control, help and messages wrap below).
        body: list[Any] = [self.label, control, *extras]
        if item.help:
            body.append(help_widget(item.help, full=True))
        row = ("kap-field", "kap-required") if item.required else ("kap-field",)
        super().__init__(item, body, row=row)
        self._unparsed: Any = None

    def observe(self, callback: ChangeCallback) -> None:
        self.control.observe(lambda _change: callback(), names="value")

    def set_disabled(self, disabled: bool) -> None:
        self.control.disabled = disabled or self.item.read_only


def help_widget(text: str, *, full: bool = False) -> Any:
    """A line of help text (shared layout and style: one model); `full`: a line of its own
    inside a field row."""
    layout = shared("full_layout" if full else "plain_layout")
    return widgets.HTML(help_html(text), layout=layout, style=shared("html_style"))


def _hidden_layout(like: Any) -> Any:
    """A layout of one's own, hidden, otherwise like the shared `like`."""
    return widgets.Layout(display="none", flex_flow=like.flex_flow)
