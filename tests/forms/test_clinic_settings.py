"""Clinic settings declarations: whole numbers, decimals (mg/kg) and checked text (time zone),
each labelled a clinic setting; ClinicSettings round-trips through ``as_mapping()``."""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kap_notes.forms import ClinicSettings
from kap_notes.forms.settings import parse_settings
from kap_notes.forms.settings_schema import (
    ROUTES,
    SETTINGS,
    THRESHOLDS,
    check_settings,
    json_schema,
    threshold_problems,
)
from kap_notes.model.patient import InvalidInput

NEW = [
    "spravato_min_monitoring_minutes",
    "integration_max_days_after_dosing",
    "max_dosing_sessions_per_7_days",
    "clinic_time_zone",
    "break_glass_hours",
    *[f"mg_per_kg_{end}_{route}" for route in ROUTES for end in ("min", "max")],
]


def test_every_clinic_setting_is_a_field_with_a_valid_default_and_a_label() -> None:
    assert [f.name for f in fields(ClinicSettings)] == list(THRESHOLDS)
    assert set(NEW) <= set(THRESHOLDS)
    defaults = ClinicSettings()
    assert threshold_problems(defaults.as_mapping()) == []
    for name in THRESHOLDS:
        assert SETTINGS[name].label.startswith("clinic setting: ")
    lines = defaults.describe()
    assert len(lines) == len(THRESHOLDS)
    assert all(line.endswith("(clinic setting)") for line in lines)
    assert "Time zone for times shown to people: UTC (clinic setting)" in lines
    assert (defaults.spravato_min_monitoring_minutes, defaults.break_glass_hours) == (120, 24)
    assert defaults.integration_max_days_after_dosing == 7
    assert defaults.max_dosing_sessions_per_7_days == 2


def test_round_trip_and_old_stored_versions_read_with_defaults() -> None:
    chosen = ClinicSettings(mg_per_kg_max_iv=1.5, clinic_time_zone="Europe/Berlin")
    assert ClinicSettings(**chosen.as_mapping()) == chosen
    old: dict[str, Any] = {
        "systolic_alert_mmhg": 150,
        "diastolic_alert_mmhg": 95,
        "spo2_alert_below_percent": 90,
    }
    assert ClinicSettings(**old).as_mapping() == ClinicSettings().as_mapping() | old
    # 2 and 2.0 mg/kg are the same setting, stored as a decimal
    assert ClinicSettings(mg_per_kg_max_iv=2).as_mapping()["mg_per_kg_max_iv"] == 2.0
    assert isinstance(ClinicSettings(mg_per_kg_max_iv=2).mg_per_kg_max_iv, float)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"mg_per_kg_min_iv": 0.5}, 0.5),
        ({"mg_per_kg_max_oral": 12}, 12.0),
        ({"break_glass_hours": 72}, 72),
        ({"clinic_time_zone": "America/New_York"}, "America/New_York"),
    ],
)
def test_decimals_whole_numbers_and_text_are_accepted_in_their_type(
    values: dict[str, Any], expected: Any
) -> None:
    checked = check_settings(values)
    assert list(checked.values()) == [expected]
    assert type(next(iter(checked.values()))) is type(expected)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"break_glass_hours": 0}, "a whole number of hours from 1 to 72"),
        ({"break_glass_hours": 73}, "from 1 to 72"),
        ({"break_glass_hours": 1.5}, "not a whole number"),
        ({"mg_per_kg_max_iv": math.nan}, "not a finite number"),
        ({"mg_per_kg_max_iv": "2"}, "a number of mg/kg from 0.01 to 50.0"),
        ({"mg_per_kg_max_iv": True}, "a number of mg/kg"),
        ({"clinic_time_zone": "Mars/Olympus_Mons"}, "not a known IANA time zone"),
        ({"clinic_time_zone": "../../etc/passwd"}, "not a time zone name"),
        ({"clinic_time_zone": ""}, "an IANA time zone name"),
        ({"clinic_time_zone": 3}, "an IANA time zone name"),
    ],
)
def test_bad_values_are_refused_naming_the_setting_and_what_is_allowed(
    values: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_settings(values)
    assert next(iter(values)) in str(refused.value)
    assert message in str(refused.value)
    with pytest.raises(InvalidInput):
        ClinicSettings(**values)


def test_a_route_minimum_must_stay_below_its_maximum() -> None:
    with pytest.raises(InvalidInput, match=r"mg_per_kg_min_iv .* must be below mg_per_kg_max_iv"):
        ClinicSettings(mg_per_kg_min_iv=2.5)
    update = parse_settings({"mg_per_kg_min_iv": 0.4, "break_glass_hours": 8}, ClinicSettings())
    assert (update.clinic.mg_per_kg_min_iv, update.clinic.break_glass_hours) == (0.4, 8)
    assert update.auto_lock_minutes is None


@settings(max_examples=25, deadline=None)
@given(low=st.floats(0.01, 50), high=st.floats(0.01, 50))
def test_any_ordered_pair_of_route_bounds_is_accepted(low: float, high: float) -> None:
    if low < high:
        built = ClinicSettings(mg_per_kg_min_im=low, mg_per_kg_max_im=high)
        assert (built.mg_per_kg_min_im, built.mg_per_kg_max_im) == (low, high)
    else:
        with pytest.raises(InvalidInput):
            ClinicSettings(mg_per_kg_min_im=low, mg_per_kg_max_im=high)


def test_json_schema_types_follow_the_declarations() -> None:
    properties = json_schema()["properties"]
    assert properties["break_glass_hours"] | {"description": ""} == {
        "type": "integer",
        "minimum": 1,
        "maximum": 72,
        "description": "",
    }
    assert properties["mg_per_kg_max_iv"]["type"] == "number"
    assert properties["clinic_time_zone"]["type"] == "string"
    assert set(properties) == set(SETTINGS)
