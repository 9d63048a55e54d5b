"""The one declaration of the settings a user or clinic can change, with their types and bounds.

JupyterLab sends these to ``POST /kap-notes/api/settings``; :func:`check_settings` validates a whole
request before anything is applied, :class:`~kap_notes.forms.settings.ClinicSettings` checks its own
thresholds against the same bounds, and :func:`json_schema` gives the OpenAPI request schema.

Every setting is a whole number within a plausible range. ``NaN``, ``Infinity``, text, booleans and
fractions are refused with a message naming the setting and the range allowed. The alert thresholds
are clinic settings: they only flag values for review and are never clinical advice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kap_notes.model.patient import InvalidInput


@dataclass(frozen=True)
class SettingSpec:
    """One setting: its wire name, what it means, its unit and inclusive bounds."""

    name: str
    label: str
    unit: str
    minimum: int
    maximum: int
    #: True for clinic alert thresholds (part of ClinicSettings), False for the user's own.
    clinic: bool = True

    def problem(self, value: object) -> str | None:
        """Why ``value`` cannot be this setting (one line a clinician can act on), or None."""
        allowed = f"a whole number of {self.unit} from {self.minimum} to {self.maximum}"
        prefix = f"{self.name} ({self.label}) must be {allowed}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{prefix}; got {_shown(value)}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"{prefix}; got {value} (not a finite number)"
        if isinstance(value, float) and not value.is_integer():
            return f"{prefix}; got {value} (not a whole number)"
        if not self.minimum <= value <= self.maximum:
            return f"{prefix}; got {_shown(value)}"
        return None

    def schema(self) -> dict[str, Any]:
        """This setting as a JSON Schema property."""
        return {
            "type": "integer",
            "minimum": self.minimum,
            "maximum": self.maximum,
            "description": f"{self.label} ({self.unit})",
        }


AUTO_LOCK = SettingSpec(
    "auto_lock_minutes",
    "auto-lock after this many minutes without activity; at least 1 minute, at most 12 hours",
    "minutes",
    1,
    720,
    clinic=False,
)
SYSTOLIC = SettingSpec(
    "systolic_alert_mmhg", "clinic setting: flag systolic BP at or above", "mmHg", 90, 250
)
DIASTOLIC = SettingSpec(
    "diastolic_alert_mmhg", "clinic setting: flag diastolic BP at or above", "mmHg", 50, 150
)
SPO2 = SettingSpec(
    "spo2_alert_below_percent", "clinic setting: flag SpO2 below", "percent", 70, 100
)

#: Every setting, by wire name: the single source of names, types and bounds.
SETTINGS: dict[str, SettingSpec] = {s.name: s for s in (AUTO_LOCK, SYSTOLIC, DIASTOLIC, SPO2)}
#: The clinic's alert thresholds (the fields of ClinicSettings).
THRESHOLDS: dict[str, SettingSpec] = {n: s for n, s in SETTINGS.items() if s.clinic}


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_settings(body: Mapping[str, Any]) -> dict[str, int]:
    """The settings in ``body`` as whole numbers; :class:`InvalidInput` lists every problem.

    Unknown names are refused too, so a misspelt setting is never silently ignored.
    """
    problems: list[str] = []
    checked: dict[str, int] = {}
    for name, value in body.items():
        spec = SETTINGS.get(name)
        if spec is None:
            problems.append(
                f"unknown setting {_shown(name)}; the settings are: {', '.join(SETTINGS)}"
            )
            continue
        problem = spec.problem(value)
        if problem is None:
            checked[name] = int(value)
        else:
            problems.append(problem)
    if problems:
        raise InvalidInput(problems)
    return checked


def threshold_problems(values: Mapping[str, Any]) -> list[str]:
    """Why a full set of clinic thresholds is not acceptable (empty list when it is)."""
    problems = [
        p for name, spec in THRESHOLDS.items() if (p := spec.problem(values.get(name))) is not None
    ]
    if not problems and values[DIASTOLIC.name] >= values[SYSTOLIC.name]:
        problems.append(
            f"{DIASTOLIC.name} ({values[DIASTOLIC.name]} mmHg) must be below "
            f"{SYSTOLIC.name} ({values[SYSTOLIC.name]} mmHg)"
        )
    return problems


def json_schema() -> dict[str, Any]:
    """The body of ``POST /settings`` as JSON Schema (a test keeps openapi.yaml equal to it)."""
    return {
        "type": "object",
        "properties": {name: spec.schema() for name, spec in SETTINGS.items()},
        "additionalProperties": False,
    }
