"""One widget per answerable item type: numbers typed as text and kept exactly, dates and times
picked (with "Today" / "Now"), multi-choice as checkboxes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from kap_notes.forms import Item
from kap_notes.forms.values import parse_number
from kap_notes.records.display import display_answer
from kap_notes.widgets.base import ChangeCallback, FieldWidget, ItemWidget, help_widget
from kap_notes.widgets.choices import MultiChoiceField, NoteChoiceField, checkbox_group
from kap_notes.widgets.pickers import DateField, DateTimeField, date_picker, datetime_picker
from kap_notes.widgets.shared import shared
from kap_notes.widgets.style import heading_html, label_html

__all__ = [
    "FIELD_BUILDERS",
    "ChangeCallback",
    "DateField",
    "DateTimeField",
    "FieldWidget",
    "ItemWidget",
    "MultiChoiceField",
    "NoteChoiceField",
    "group_heading",
]


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


class DisplayWidget(ItemWidget):
    """Static text (e.g. integration prompts)."""

    def __init__(self, item: Item) -> None:
        super().__init__(item, [help_widget(item.text)])


class ComputedWidget(ItemWidget):
    """A read-only computed value (mg/kg, days since dosing), refreshed by the form."""

    def __init__(self, item: Item) -> None:
        # created as first shown: no update message until there is a value
        self.output = widgets.HTML(
            label_html("—"), layout=shared("wide_layout"), style=shared("html_style")
        )
        self.value: Any = None
        label = widgets.HTML(
            label_html(item.text, unit=item.unit),
            layout=shared("label_layout"),
            style=shared("html_style"),
        )
        super().__init__(item, [label, self.output], row=())

    def show_value(self, value: Any) -> None:
        if self.value == value:
            return
        self.value = value
        # The one renderer (records/display): Yes/No, numbers with their unit, typed times.
        self.output.value = label_html(display_answer(self.item, value) or "—")


def _placeholder(item: Item) -> str:
    if item.type in ("integer", "decimal") and (
        item.range_min is not None or item.range_max is not None
    ):
        return item.range_text()
    return ""


def _text(item: Item) -> ItemWidget:
    return TextField(
        item,
        widgets.Text(
            tooltip=item.text,
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
            tooltip=item.text,
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
            tooltip=item.text,
            options=[("Yes", True), ("No", False)],
            value=None,
            layout=shared("plain_layout"),
            style=shared("toggle_style"),
        ),
    )


def _date(item: Item) -> ItemWidget:
    return DateField(item, date_picker(item.text))


def _date_time(item: Item) -> ItemWidget:
    return DateTimeField(item, datetime_picker(item.text))


def _choice(item: Item) -> ItemWidget:
    options = [("—", None), *((o.display, o.code) for o in item.options)]
    return ChoiceField(
        item,
        widgets.Dropdown(
            options=options,
            tooltip=item.text,
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
            tooltip=item.text,
            options=displays,
            ensure_option=False,
            continuous_update=False,
            layout=shared("wide_layout"),
            style=shared("text_style"),
        ),
    )


def _multi_choice(item: Item) -> ItemWidget:
    return MultiChoiceField(item, checkbox_group(item))


FIELD_BUILDERS: dict[str, Callable[[Item], ItemWidget]] = {
    "string": _text,
    "text": _textarea,
    "integer": _text,
    "decimal": _text,
    "dateTime": _date_time,
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
