"""Clinic settings used by review flags; each clinic sets its own. Not clinical advice.

Names, types and bounds come from :mod:`kap_notes.forms.settings_schema`; a ClinicSettings outside
them cannot be built, so an invalid threshold is never stored or used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from kap_notes.forms.settings_schema import (
    AUTO_LOCK,
    THRESHOLDS,
    check_settings,
    threshold_problems,
)
from kap_notes.model.patient import InvalidInput


def _described(label: str, unit: str) -> str:
    text = label.removeprefix("clinic setting: ")
    return text[:1].upper() + text[1:] + (f" ({unit})" if unit else "")


@dataclass(frozen=True)
class ClinicSettings:
    """Clinic settings: alert thresholds, course rules, mg/kg plausibility ranges per route, the
    clinic's time zone and break-glass duration. A value beyond a threshold is only flagged for
    review; none of these is clinical advice. Old stored versions without the newer settings
    read with the defaults below."""

    systolic_alert_mmhg: int = 160
    diastolic_alert_mmhg: int = 100
    spo2_alert_below_percent: int = 92
    spravato_min_monitoring_minutes: int = 120
    rems_dose_tolerance_mg: float = 0.0
    rems_minutes_tolerance: int = 0
    rems_bp_tolerance_mmhg: int = 0
    # mg/kg plausibility ranges per route: wide on purpose (typing slips, not dosing limits)
    mg_per_kg_min_iv: float = 0.1
    mg_per_kg_max_iv: float = 2.0
    mg_per_kg_min_im: float = 0.1
    mg_per_kg_max_im: float = 3.0
    mg_per_kg_min_sublingual: float = 0.3
    mg_per_kg_max_sublingual: float = 10.0
    mg_per_kg_min_oral: float = 0.3
    mg_per_kg_max_oral: float = 10.0
    mg_per_kg_min_intranasal_racemic: float = 0.1
    mg_per_kg_max_intranasal_racemic: float = 5.0
    mg_per_kg_min_esketamine_in: float = 0.1
    mg_per_kg_max_esketamine_in: float = 3.0
    integration_max_days_after_dosing: int = 7
    max_dosing_sessions_per_7_days: int = 2
    clinic_time_zone: str = "UTC"
    break_glass_hours: int = 24
    #: k of the de-identified cohort: quasi-identifier groups smaller than k are suppressed.
    cohort_min_cell: int = 5

    LABEL: ClassVar[str] = "clinic setting"
    DESCRIPTIONS: ClassVar[dict[str, str]] = {
        name: _described(spec.label, spec.unit) for name, spec in THRESHOLDS.items()
    }

    def __post_init__(self) -> None:
        problems = threshold_problems(asdict(self))
        if problems:
            raise InvalidInput(problems)
        for name, spec in THRESHOLDS.items():  # 2 and 2.0 mg/kg are one setting: store 2.0
            object.__setattr__(self, name, spec.coerce(getattr(self, name)))

    def as_mapping(self) -> dict[str, Any]:
        """Settings by name, as expressions read them (``{setting: systolic_alert_mmhg}``)."""
        return asdict(self)

    def describe(self) -> list[str]:
        """One line per setting, each labelled as a clinic setting."""
        return [
            f"{self.DESCRIPTIONS[name]}: {value} ({self.LABEL})"
            for name, value in self.as_mapping().items()
        ]


@dataclass(frozen=True)
class SettingsUpdate:
    """A validated ``POST /settings`` body: the clinic thresholds to use and any new auto-lock."""

    clinic: ClinicSettings
    auto_lock_minutes: int | None = None


def parse_settings(body: Mapping[str, Any], current: ClinicSettings) -> SettingsUpdate:
    """Validate every setting in ``body`` against the declared bounds before anything changes.

    Settings not in ``body`` keep their ``current`` values; raises
    :class:`~kap_notes.model.patient.InvalidInput` naming each bad setting and its allowed range.
    """
    checked = check_settings(body)
    thresholds = {**current.as_mapping(), **{k: v for k, v in checked.items() if k in THRESHOLDS}}
    return SettingsUpdate(ClinicSettings(**thresholds), checked.get(AUTO_LOCK.name))
