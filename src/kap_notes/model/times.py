"""Dates and times, one way for every view (standard library only).

Two kinds of time, never mixed up:

- **Typed** dates and date-times are what a clinician enters (``2026-01-05``,
  ``2026-01-05 10:30``): wall-clock times of the clinic, kept as typed. :func:`parse_date` and
  :func:`parse_datetime` read them; :func:`display_typed` shows them, identically everywhere.
- **System timestamps** (``signed_at``, ``created_at``, audit times) are ISO 8601 UTC with
  microseconds. People see them through :func:`format_timestamp`: in the clinic's time zone (a
  clinic setting), to the minute, with the zone's abbreviation, e.g. ``2026-01-05 05:30 EST``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "UTC"
DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M"

__all__ = [
    "DEFAULT_ZONE",
    "clinic_time_zone",
    "display_typed",
    "format_date",
    "format_datetime",
    "format_timestamp",
    "parse_date",
    "parse_datetime",
    "parse_timestamp",
    "zone",
]


def parse_date(raw: Any) -> dt.date | None:
    """An ISO date (``YYYY-MM-DD``) from text or a date object, else None."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if not isinstance(raw, str):
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None


_FRACTION = re.compile(r"(T|\s)(\d{2}:\d{2}:\d{2})\.(\d{1,6})\d*")
_COMPACT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def _from_iso(text: str) -> dt.datetime:
    """``datetime.fromisoformat`` as Python 3.11 reads it, also on 3.10 (a ``Z``, fractions of
    any length, ``+0100`` offsets); raises ValueError."""
    text = text.replace("Z", "+00:00") if text.endswith("Z") else text
    text = _FRACTION.sub(lambda m: f"{m[1]}{m[2]}.{m[3].ljust(6, '0')}", text)
    if len(text) > 19:
        text = _COMPACT_OFFSET.sub(r"\1:\2", text)
    return dt.datetime.fromisoformat(text)


def parse_datetime(raw: Any) -> dt.datetime | None:
    """A typed date and time (``YYYY-MM-DD HH:MM``, ``T`` or seconds allowed), else None.

    A bare date is not a date-time.
    """
    if isinstance(raw, dt.datetime):
        return raw
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if len(text) < 16:
        return None
    try:
        return _from_iso(text)
    except ValueError:
        return None


def format_date(value: dt.date) -> str:
    """``2026-01-05``."""
    return value.strftime(DATE_FORMAT)


def format_datetime(value: dt.datetime) -> str:
    """A typed date-time as typed: ``2026-01-05 10:30`` (seconds only when given, never
    microseconds; an explicit offset is kept, e.g. ``+01:00``)."""
    text = value.strftime(DATETIME_FORMAT)
    if value.second:
        text += value.strftime(":%S")
    offset = value.utcoffset()
    if offset is not None:
        text += " UTC" if offset == dt.timedelta(0) else " " + value.isoformat()[-6:]
    return text


def display_typed(raw: Any, kind: str = "dateTime") -> str:
    """A typed ``date`` or ``dateTime`` answer for display; text that is neither is unchanged."""
    if raw is None:
        return ""
    if kind == "dateTime":
        moment = parse_datetime(raw)
        if moment is not None:
            return format_datetime(moment)
    day = parse_date(raw)
    if day is not None and not isinstance(raw, dt.datetime):
        return format_date(day)
    return raw.strip() if isinstance(raw, str) else str(raw)


def zone(name: str | None) -> dt.tzinfo:
    """The IANA time zone ``name`` (``None``, blank or unknown: UTC)."""
    if not name:
        return dt.timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def parse_timestamp(stamp: Any) -> dt.datetime | None:
    """A system timestamp as an aware datetime (naive stamps are UTC), else None."""
    if isinstance(stamp, dt.datetime):
        moment = stamp
    elif isinstance(stamp, str) and len(stamp.strip()) >= 16:
        try:
            moment = _from_iso(stamp.strip())
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


def format_timestamp(stamp: Any, time_zone: str | None = DEFAULT_ZONE) -> str:
    """A system timestamp for people: ``2026-01-05 05:30 EST`` in ``time_zone``.

    Blank for ``None``; text that is not a timestamp is returned unchanged.
    """
    if stamp is None or stamp == "":
        return ""
    moment = parse_timestamp(stamp)
    if moment is None:
        return str(stamp)
    local = moment.astimezone(zone(time_zone))
    return f"{local.strftime(DATETIME_FORMAT)} {local.tzname() or 'UTC'}"


def clinic_time_zone(settings: object | None) -> str:
    """The clinic's time zone: the ``clinic_time_zone`` clinic setting of a settings object or
    mapping (UTC when unset)."""
    if isinstance(settings, Mapping):
        name = settings.get("clinic_time_zone")
    else:
        name = getattr(settings, "clinic_time_zone", None)
    return name if isinstance(name, str) and name.strip() else DEFAULT_ZONE
