"""Date and date-time pickers with a "Today" / "Now" button: one convention for every time field.

Both store the typed formats of :mod:`kap_notes.model.times`: ``YYYY-MM-DD`` for dates and
``YYYY-MM-DD HH:MM`` for date-times (the clinic's wall-clock time; ``T`` or seconds in a stored
answer are kept exactly as stored until the clinician picks another time). A stored answer the
picker cannot show (old free text) is kept as it is until changed, and validation says why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from kap_notes.forms import Item
from kap_notes.forms.values import is_answered, parse_date, parse_datetime
from kap_notes.model.times import format_date, format_datetime, zone
from kap_notes.widgets.base import FieldWidget
from kap_notes.widgets.shared import shared

Clock = Callable[[], dt.datetime]
"""The clinic's current wall-clock time (naive)."""

#: Minutes a new note's session time is rounded to.
DEFAULT_ROUNDING_MINUTES = 5


def clinic_clock(time_zone: str | None = None) -> Clock:
    """A clock reading the current time in ``time_zone`` (the clinic setting; UTC when unset)."""

    def now() -> dt.datetime:
        return dt.datetime.now(zone(time_zone)).replace(tzinfo=None)

    return now


def to_minute(moment: dt.datetime) -> dt.datetime:
    """``moment`` without seconds."""
    return moment.replace(second=0, microsecond=0)


def rounded(moment: dt.datetime, minutes: int = DEFAULT_ROUNDING_MINUTES) -> dt.datetime:
    """``moment`` rounded to the nearest ``minutes`` (10:02 → 10:00, 10:03 → 10:05)."""
    start = to_minute(moment)
    extra = (start.minute % minutes) * 60 + moment.second + moment.microsecond / 1e6
    down = start - dt.timedelta(minutes=start.minute % minutes)
    return down + dt.timedelta(minutes=minutes) if extra >= minutes * 30 else down


def default_now(item: Item, clock: Clock) -> str:
    """A new note's default for a session time item: now (rounded) or today."""
    if item.type == "date":
        return clock().date().isoformat()
    return format_datetime(rounded(clock()))


class TimeField:
    """Shared behaviour of the pickers: a button setting "now", stored text kept exactly."""

    control: Any
    now_button: Any
    clock: Clock

    def _init_time(self) -> None:
        self.clock = clinic_clock()
        self._stored: tuple[str, Any] | None = None  # (stored text, what the picker shows)
        self._unparsed: Any = None
        self.control.observe(self._forget_unparsed, names="value")
        self.now_button.on_click(lambda _button: self.set_now())

    def _forget_unparsed(self, change: Any) -> None:
        if change["new"] is not None:
            self._unparsed = None

    def set_now(self) -> None:
        """Put the current date (or date and time, to the minute) in the picker."""
        raise NotImplementedError

    def _parse(self, value: Any) -> Any:
        raise NotImplementedError

    def _format(self, picked: Any) -> str:
        raise NotImplementedError

    def get(self) -> Any:
        if self._unparsed is not None:
            return self._unparsed
        picked = self.control.value
        if picked is None:
            return None
        if self._stored is not None and self._stored[1] == picked:
            return self._stored[0]  # exactly as stored, e.g. "2024-03-01T09:00"
        return self._format(picked)

    def set(self, value: Any) -> None:
        parsed = self._parse(value)
        self.control.value = parsed
        self._stored = (value, parsed) if parsed is not None else None
        self._unparsed = value if is_answered(value) and parsed is None else None


def now_button(item: Item, text: str) -> Any:
    return widgets.Button(
        description=text,
        tooltip=f"{item.text}: {text.lower()}",
        layout=shared("auto_layout"),
        style=shared("button_style"),
    )


def date_picker(tooltip: str | None = None) -> Any:
    return widgets.DatePicker(
        value=None,
        tooltip=tooltip,
        layout=shared("plain_layout"),
        style=shared("description_style"),
    )


def datetime_picker(tooltip: str | None = None) -> Any:
    return widgets.NaiveDatetimePicker(
        value=None,
        tooltip=tooltip,
        layout=shared("plain_layout"),
        style=shared("description_style"),
    )


def parse_picker_date(value: Any) -> dt.date | None:
    return parse_date(value) if isinstance(value, str) else None


def parse_picker_datetime(value: Any) -> dt.datetime | None:
    moment = parse_datetime(value) if isinstance(value, str) else None
    return moment if moment is not None and moment.tzinfo is None else None


class DateField(TimeField, FieldWidget):
    """A date picker and a "Today" button; stores ``YYYY-MM-DD``."""

    def __init__(self, item: Item, control: Any) -> None:
        self.now_button = now_button(item, "Today")
        super().__init__(item, control, [self.now_button])
        self._init_time()

    def set_now(self) -> None:
        self.control.value = self.clock().date()

    def _parse(self, value: Any) -> Any:
        return parse_picker_date(value)

    def _format(self, picked: Any) -> str:
        return format_date(picked)

    def set_disabled(self, disabled: bool) -> None:
        super().set_disabled(disabled)
        self.now_button.disabled = self.control.disabled


class DateTimeField(TimeField, FieldWidget):
    """A date-and-time picker and a "Now" button; stores ``YYYY-MM-DD HH:MM``."""

    def __init__(self, item: Item, control: Any) -> None:
        self.now_button = now_button(item, "Now")
        super().__init__(item, control, [self.now_button])
        self._init_time()

    def set_now(self) -> None:
        self.control.value = to_minute(self.clock())

    def _parse(self, value: Any) -> Any:
        return parse_picker_datetime(value)

    def _format(self, picked: Any) -> str:
        return format_datetime(picked)

    def set_disabled(self, disabled: bool) -> None:
        super().set_disabled(disabled)
        self.now_button.disabled = self.control.disabled
