"""model/times: one parser and formatter for typed times; system timestamps for people."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from kap_notes.forms import ClinicSettings
from kap_notes.model.times import (
    clinic_time_zone,
    display_typed,
    format_timestamp,
    parse_date,
    parse_datetime,
)

ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata"]
typed_minutes = st.datetimes(
    min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2060, 12, 31)
).map(lambda d: d.replace(second=0, microsecond=0))


@settings(max_examples=25, deadline=None)
@given(moment=typed_minutes, separator=st.sampled_from([" ", "T"]), pad=st.sampled_from(["", " "]))
def test_a_typed_date_time_shows_one_way_whatever_the_separator(
    moment: dt.datetime, separator: str, pad: str
) -> None:
    typed = pad + moment.strftime(f"%Y-%m-%d{separator}%H:%M") + pad
    assert parse_datetime(typed) == moment
    shown = display_typed(typed, "dateTime")
    assert shown == moment.strftime("%Y-%m-%d %H:%M")
    assert display_typed(shown, "dateTime") == shown  # shown text reads back as itself


def test_dates_and_bad_text() -> None:
    assert parse_date("2026-01-05") == dt.date(2026, 1, 5)
    assert parse_datetime("2026-01-05") is None  # a bare date is not a date-time
    assert display_typed("2026-01-05", "date") == "2026-01-05"
    assert display_typed("2026-01-05", "dateTime") == "2026-01-05"
    assert display_typed("not a time", "dateTime") == "not a time"
    assert display_typed("2026-01-05 10:00:30", "dateTime") == "2026-01-05 10:00:30"
    assert display_typed(None) == ""


def test_system_timestamps_are_in_the_clinic_zone_without_microseconds() -> None:
    stamp = "2026-01-05T15:30:12.123456+00:00"
    assert format_timestamp(stamp) == "2026-01-05 15:30 UTC"
    assert format_timestamp(stamp, "America/New_York") == "2026-01-05 10:30 EST"
    assert format_timestamp("2026-07-05T15:30:12.5+00:00", "America/New_York") == (
        "2026-07-05 11:30 EDT"
    )
    assert format_timestamp("2026-01-05T15:30:12Z", "Europe/Berlin") == "2026-01-05 16:30 CET"
    assert format_timestamp(stamp, "Not/AZone") == "2026-01-05 15:30 UTC"  # says which zone
    assert format_timestamp(None) == ""


@settings(max_examples=25, deadline=None)
@given(
    moment=st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2060, 1, 1),
        timezones=st.just(dt.timezone.utc),
    ),
    zone=st.sampled_from(ZONES),
)
def test_any_timestamp_converts_to_the_minute(moment: dt.datetime, zone: str) -> None:
    shown = format_timestamp(moment.isoformat(timespec="microseconds"), zone)
    local = moment.astimezone(ZoneInfo(zone))
    assert shown == f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d \S+", shown)
    assert "." not in shown


def test_the_zone_is_a_clinic_setting() -> None:
    assert clinic_time_zone(None) == "UTC"
    assert clinic_time_zone(ClinicSettings()) == "UTC"
    assert clinic_time_zone(ClinicSettings(clinic_time_zone="Europe/Berlin")) == "Europe/Berlin"
    assert clinic_time_zone({"clinic_time_zone": "Asia/Kolkata"}) == "Asia/Kolkata"
