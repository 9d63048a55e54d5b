"""One widget per answerable item type; numbers and date-times typed as text and kept exactly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import ipywidgets as widgets

from kap_notes.forms import Item
from kap_notes.forms.values import is_answered, parse_date, parse_number
from kap_notes.records.display import display_answer
from kap_notes.widgets.shared import shared
from kap_notes.widgets.style import heading_html, help_html, label_html, message_list

ChangeCallback = Callable[[], None]


class ItemWidget:
    """Base of every item's widget: a container with a visible label and an inline message area."""

    def __init__(self, item: Item, body: list[Any]) -> None:
        self.item = item
        self._messages: Any = None
        self._shown: tuple[list[str], str] = ([], "error")
        self._visible = True
        self.container = widgets.VBox(body)

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
            self.container.layout.display = None if visible else "none"

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
            self._messages = widgets.HTML()
            self.container.children = (*self.container.children, self._messages)
        self._messages.value = message_list(messages, kind)


class FieldWidget(ItemWidget):
    """A labelled input whose ipywidget holds the answer."""

    def __init__(self, item: Item, control: Any) -> None:
        self.control = control
        self.label = widgets.HTML(
            label_html(item.text, required=item.required, unit=item.unit),
            layout=shared("label_layout"),
            style=shared("html_style"),
        )
        control.description = ""
        control.tooltip = item.text
        row = widgets.HBox([self.label, control], layout=shared("row_layout"))
        body: list[Any] = [row]
        if item.help:
            body.append(widgets.HTML(help_html(item.help)))
        super().__init__(item, body)
        self._unparsed: Any = None

    def observe(self, callback: ChangeCallback) -> None:
        self.control.observe(lambda _change: callback(), names="value")

    def set_disabled(self, disabled: bool) -> None:
        self.control.disabled = disabled or self.item.read_only


class TextField(FieldWidget):
    """string, text, dateTime, integer and decimal: whatever was typed is kept."""

    def get(self) -> Any:
        text: str = self.control.value
        if not text.strip():
            return None
        if self.item.type in ("integer", "decimal"):
            number = parse_number(text, integer=self.item.type == "integer")
            if number is not None and str(number) == text.strip():
                return number  # exactly what was typed, as a number
        return text

    def set(self, value: Any) -> None:
        self.control.value = (
            "" if value is None else value if isinstance(value, str) else str(value)
        )


class BooleanField(FieldWidget):
    """Yes / No with nothing selected until answered (unanswered is not "no")."""

    def get(self) -> Any:
        return self.control.value if self._unparsed is None else self._unparsed

    def set(self, value: Any) -> None:
        self._unparsed = None if value is None or isinstance(value, bool) else value
        self.control.value = value if isinstance(value, bool) else None


class DateField(FieldWidget):
    """A date picker; an unreadable stored date is kept as typed until changed."""

    def __init__(self, item: Item, control: Any) -> None:
        super().__init__(item, control)
        control.observe(self._forget_unparsed, names="value")

    def _forget_unparsed(self, _change: Any) -> None:
        self._unparsed = None

    def get(self) -> Any:
        if self._unparsed is not None:
            return self._unparsed
        picked: date | None = self.control.value
        return picked.isoformat() if picked else None

    def set(self, value: Any) -> None:
        parsed = parse_date(value) if isinstance(value, str) else None
        self.control.value = parsed
        self._unparsed = value if is_answered(value) and parsed is None else None


class ChoiceField(FieldWidget):
    """A dropdown of the options; an unknown stored code is kept until changed."""

    def __init__(self, item: Item, control: Any) -> None:
        super().__init__(item, control)
        control.observe(self._forget_unparsed, names="value")

    def _forget_unparsed(self, _change: Any) -> None:
        if self.control.value is not None:
            self._unparsed = None

    def get(self) -> Any:
        return self.control.value if self._unparsed is None else self._unparsed

    def set(self, value: Any) -> None:
        option = self.item.option_for(value) if value is not None else None
        self._unparsed = value if value is not None and option is None else None
        self.control.value = option.code if option else None


class OpenChoiceField(FieldWidget):
    """A combobox: an option's code when its text is picked, else the free text."""

    def get(self) -> Any:
        text: str = self.control.value
        if not text.strip():
            return None
        match = next((o for o in self.item.options if o.display == text), None)
        return match.code if match else text

    def set(self, value: Any) -> None:
        option = self.item.option_for(value) if value is not None else None
        self.control.value = option.display if option else ("" if value is None else str(value))


class MultiChoiceField(FieldWidget):
    """A multi-select list; unknown stored codes are kept."""

    def get(self) -> Any:
        chosen = list(self.control.value) + list(self._unparsed or [])
        return chosen or None

    def set(self, value: Any) -> None:
        values = value if isinstance(value, list) else [] if value is None else [value]
        known = [self.item.option_for(v) for v in values]
        self.control.value = tuple(o.code for o in known if o is not None)
        self._unparsed = [v for v, o in zip(values, known, strict=True) if o is None] or None


class DisplayWidget(ItemWidget):
    """Static text (e.g. integration prompts)."""

    def __init__(self, item: Item) -> None:
        text = widgets.HTML(help_html(item.text), style=shared("html_style"))
        super().__init__(item, [text])


class ComputedWidget(ItemWidget):
    """A read-only computed value (mg/kg, days since dosing), refreshed by the form."""

    def __init__(self, item: Item) -> None:
        self.output = widgets.HTML("—")
        self.value: Any = None
        label = widgets.HTML(
            label_html(item.text, unit=item.unit),
            layout=shared("label_layout"),
            style=shared("html_style"),
        )
        self.output.layout, self.output.style = shared("wide_layout"), shared("html_style")
        super().__init__(item, [widgets.HBox([label, self.output], layout=shared("row_layout"))])

    def show_value(self, value: Any) -> None:
        if self.value == value and self.output.value != "—":
            return
        self.value = value
        # The one renderer (records/display): Yes/No, numbers with their unit, typed times.
        self.output.value = label_html(display_answer(self.item, value) or "—")


def _placeholder(item: Item) -> str:
    if item.type in ("integer", "decimal") and (
        item.range_min is not None or item.range_max is not None
    ):
        return item.range_text()
    return {"dateTime": "YYYY-MM-DD HH:MM", "date": "YYYY-MM-DD"}.get(item.type, "")


def _text(item: Item) -> ItemWidget:
    return TextField(
        item,
        widgets.Text(
            placeholder=_placeholder(item),
            continuous_update=False,
            layout=shared("wide_layout"),
            style=shared("text_style"),
        ),
    )


def _textarea(item: Item) -> ItemWidget:
    return TextField(
        item,
        widgets.Textarea(
            continuous_update=False,
            rows=3,
            layout=shared("wide_layout"),
            style=shared("text_style"),
        ),
    )


def _boolean(item: Item) -> ItemWidget:
    return BooleanField(
        item,
        widgets.ToggleButtons(
            options=[("Yes", True), ("No", False)], value=None, style=shared("toggle_style")
        ),
    )


def _date(item: Item) -> ItemWidget:
    return DateField(item, widgets.DatePicker(value=None, style=shared("description_style")))


def _choice(item: Item) -> ItemWidget:
    options = [("—", None), *((o.display, o.code) for o in item.options)]
    return ChoiceField(
        item,
        widgets.Dropdown(
            options=options,
            value=None,
            layout=shared("wide_layout"),
            style=shared("description_style"),
        ),
    )


def _open_choice(item: Item) -> ItemWidget:
    displays = [o.display for o in item.options]
    return OpenChoiceField(
        item,
        widgets.Combobox(
            options=displays,
            ensure_option=False,
            continuous_update=False,
            layout=shared("wide_layout"),
            style=shared("text_style"),
        ),
    )


def _multi_choice(item: Item) -> ItemWidget:
    options = [(o.display, o.code) for o in item.options]
    return MultiChoiceField(
        item,
        widgets.SelectMultiple(
            options=options,
            rows=len(options),
            layout=shared("wide_layout"),
            style=shared("description_style"),
        ),
    )


FIELD_BUILDERS: dict[str, Callable[[Item], ItemWidget]] = {
    "string": _text,
    "text": _textarea,
    "integer": _text,
    "decimal": _text,
    "dateTime": _text,
    "date": _date,
    "boolean": _boolean,
    "choice": _choice,
    "open-choice": _open_choice,
    "multi-choice": _multi_choice,
    "display": DisplayWidget,
}
"""Item type → builder of its widget (groups, rows and instruments are built in `sections`)."""


def group_heading(text: str) -> Any:
    return widgets.HTML(heading_html(text), style=shared("html_style"), layout=shared("row_layout"))
