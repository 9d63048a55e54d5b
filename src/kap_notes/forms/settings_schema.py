"""The one declaration of the settings a user or clinic can change, with their types and bounds.

JupyterLab sends these to ``POST /kap-notes/api/settings``; :func:`check_settings` validates a whole
request before anything is applied, :class:`~kap_notes.forms.settings.ClinicSettings` checks its own
values against the same declarations, and :func:`json_schema` gives the OpenAPI request schema.

A setting is a whole number or a decimal within a plausible range, or text accepted by a check
function (the clinic's time zone). ``NaN``, ``Infinity``, booleans, text where a number is due and
fractions where a whole number is due are refused with a message naming the setting and what is
allowed. Clinic settings only flag values for review; they are never clinical advice.
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from kap_notes.model.patient import InvalidInput

Kind = Literal["integer", "decimal", "text"]


@dataclass(frozen=True)
class SettingSpec:
    """One setting: its wire name, what it means, its unit and inclusive bounds (or text check)."""

    name: str
    label: str
    unit: str
    minimum: int | float = 0
    maximum: int | float = 0
    #: True for clinic settings (fields of ClinicSettings), False for the user's own.
    clinic: bool = True
    kind: Kind = "integer"
    #: For text settings: why a text is not acceptable (None when it is).
    check: Callable[[str], str | None] | None = None
    #: For text settings: what is allowed, in words.
    hint: str = ""

    def allowed(self) -> str:
        """What this setting accepts, in words (part of every refusal)."""
        if self.kind == "text":
            return self.hint
        number = "a whole number" if self.kind == "integer" else "a number"
        return f"{number} of {self.unit} from {self.minimum} to {self.maximum}"

    def problem(self, value: object) -> str | None:
        """Why ``value`` cannot be this setting (one line a clinician can act on), or None."""
        prefix = f"{self.name} ({self.label}) must be {self.allowed()}"
        if self.kind == "text":
            if not isinstance(value, str):
                return f"{prefix}; got {_shown(value)}"
            reason = self.check(value) if self.check is not None else None
            return None if reason is None else f"{prefix}; got {_shown(value)} ({reason})"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{prefix}; got {_shown(value)}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"{prefix}; got {value} (not a finite number)"
        if self.kind == "integer" and isinstance(value, float) and not value.is_integer():
            return f"{prefix}; got {value} (not a whole number)"
        if not self.minimum <= value <= self.maximum:
            return f"{prefix}; got {_shown(value)}"
        return None

    def coerce(self, value: Any) -> Any:
        """An accepted value in this setting's own type (30.0 → 30 for whole numbers)."""
        if self.kind == "integer":
            return int(value)
        if self.kind == "decimal":
            return float(value)
        return str(value)

    def schema(self) -> dict[str, Any]:
        """This setting as a JSON Schema property."""
        if self.kind == "text":
            return {"type": "string", "description": f"{self.label} ({self.hint})"}
        return {
            "type": "integer" if self.kind == "integer" else "number",
            "minimum": self.minimum,
            "maximum": self.maximum,
            "description": f"{self.label} ({self.unit})",
        }


def time_zone_problem(name: str) -> str | None:
    """Why ``name`` is not an IANA time zone name known to this system, or None."""
    if not name or name != name.strip() or name.startswith(("/", ".")) or ".." in name:
        return "not a time zone name"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return "not a known IANA time zone"
    return None


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
SPRAVATO_MONITORING = SettingSpec(
    "spravato_min_monitoring_minutes",
    "clinic setting: flag Spravato monitoring shorter than",
    "minutes",
    1,
    720,
)
REMS_DOSE_TOLERANCE = SettingSpec(
    "rems_dose_tolerance_mg",
    "clinic setting: flag a Spravato dose differing from the REMS form or devices by more than",
    "mg",
    0,
    28,
    kind="decimal",
)
REMS_MINUTES_TOLERANCE = SettingSpec(
    "rems_minutes_tolerance",
    "clinic setting: flag REMS monitoring minutes differing from minutes monitored by more than",
    "minutes",
    0,
    60,
)
REMS_BP_TOLERANCE = SettingSpec(
    "rems_bp_tolerance_mmhg",
    "clinic setting: flag a REMS blood pressure that differs from the vitals rows by more than",
    "mmHg",
    0,
    40,
)
INTEGRATION_DAYS = SettingSpec(
    "integration_max_days_after_dosing",
    "clinic setting: flag an integration session more days after its dosing session than",
    "days",
    1,
    90,
)
DOSING_SESSIONS = SettingSpec(
    "max_dosing_sessions_per_7_days",
    "clinic setting: flag more dosing sessions in 7 days than",
    "sessions",
    1,
    7,
)
TIME_ZONE = SettingSpec(
    "clinic_time_zone",
    "clinic setting: time zone for times shown to people",
    "",
    kind="text",
    check=time_zone_problem,
    hint="an IANA time zone name such as UTC or Europe/Berlin",
)
BREAK_GLASS = SettingSpec(
    "break_glass_hours", "clinic setting: break-glass access lasts", "hours", 1, 72
)
COHORT_MIN_CELL = SettingSpec(
    "cohort_min_cell",
    "clinic setting: a de-identified cohort suppresses quasi-identifier groups smaller than",
    "patients",
    2,
    50,
)

#: Dosing routes (codes of the dosing form's ``route``) with a clinic mg/kg range each.
ROUTES = ("iv", "im", "sublingual", "oral", "intranasal_racemic", "esketamine_in")
_ROUTE_NAMES = {
    "iv": "IV",
    "im": "IM",
    "sublingual": "sublingual/buccal",
    "oral": "oral",
    "intranasal_racemic": "intranasal racemic",
    "esketamine_in": "intranasal esketamine",
}


def _mg_per_kg(route: str, end: str) -> SettingSpec:
    word = "below" if end == "min" else "above"
    return SettingSpec(
        f"mg_per_kg_{end}_{route}",
        f"clinic setting: flag {_ROUTE_NAMES[route]} doses per kg {word}",
        "mg/kg",
        0.01,
        50.0,
        kind="decimal",
    )


MG_PER_KG = [_mg_per_kg(route, end) for route in ROUTES for end in ("min", "max")]

#: Every setting, by wire name: the single source of names, types and bounds.
SETTINGS: dict[str, SettingSpec] = {
    s.name: s
    for s in (
        AUTO_LOCK,
        SYSTOLIC,
        DIASTOLIC,
        SPO2,
        SPRAVATO_MONITORING,
        REMS_DOSE_TOLERANCE,
        REMS_MINUTES_TOLERANCE,
        REMS_BP_TOLERANCE,
        *MG_PER_KG,
        INTEGRATION_DAYS,
        DOSING_SESSIONS,
        TIME_ZONE,
        BREAK_GLASS,
        COHORT_MIN_CELL,
    )
}
#: The clinic's settings (the fields of ClinicSettings).
THRESHOLDS: dict[str, SettingSpec] = {n: s for n, s in SETTINGS.items() if s.clinic}
#: (lower, higher): the first must stay below the second.
ORDERED = [(DIASTOLIC, SYSTOLIC)] + [
    (SETTINGS[f"mg_per_kg_min_{r}"], SETTINGS[f"mg_per_kg_max_{r}"]) for r in ROUTES
]


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_settings(body: Mapping[str, Any]) -> dict[str, Any]:
    """The settings in ``body``, each in its own type; :class:`InvalidInput` lists every problem.

    Unknown names are refused too, so a misspelt setting is never silently ignored.
    """
    problems: list[str] = []
    checked: dict[str, Any] = {}
    for name, value in body.items():
        spec = SETTINGS.get(name)
        if spec is None:
            problems.append(
                f"unknown setting {_shown(name)}; the settings are: {', '.join(SETTINGS)}"
            )
            continue
        problem = spec.problem(value)
        if problem is None:
            checked[name] = spec.coerce(value)
        else:
            problems.append(problem)
    if problems:
        raise InvalidInput(problems)
    return checked


def threshold_problems(values: Mapping[str, Any]) -> list[str]:
    """Why a full set of clinic settings is not acceptable (empty list when it is)."""
    problems = [
        p for name, spec in THRESHOLDS.items() if (p := spec.problem(values.get(name))) is not None
    ]
    if problems:
        return problems
    for low, high in ORDERED:
        if values[low.name] >= values[high.name]:
            problems.append(
                f"{low.name} ({values[low.name]} {low.unit}) must be below "
                f"{high.name} ({values[high.name]} {high.unit})"
            )
    return problems


def json_schema() -> dict[str, Any]:
    """The body of ``POST /settings`` as JSON Schema (a test keeps openapi.yaml equal to it)."""
    return {
        "type": "object",
        "properties": {name: spec.schema() for name, spec in SETTINGS.items()},
        "additionalProperties": False,
    }
