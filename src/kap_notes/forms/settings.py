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


@dataclass(frozen=True)
class ClinicSettings:
    """Alert thresholds (clinic settings): a reading at/over them is only flagged for review."""

    systolic_alert_mmhg: int = 160
    diastolic_alert_mmhg: int = 100
    spo2_alert_below_percent: int = 92

    LABEL: ClassVar[str] = "clinic setting"
    DESCRIPTIONS: ClassVar[dict[str, str]] = {
        "systolic_alert_mmhg": "Flag systolic BP at or above (mmHg)",
        "diastolic_alert_mmhg": "Flag diastolic BP at or above (mmHg)",
        "spo2_alert_below_percent": "Flag SpO2 below (%)",
    }

    def __post_init__(self) -> None:
        problems = threshold_problems(asdict(self))
        if problems:
            raise InvalidInput(problems)

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
