"""Clinic settings used by review flags; each clinic sets its own. Not clinical advice."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar


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

    def as_mapping(self) -> dict[str, Any]:
        """Settings by name, as expressions read them (``{setting: systolic_alert_mmhg}``)."""
        return asdict(self)

    def describe(self) -> list[str]:
        """One line per setting, each labelled as a clinic setting."""
        return [
            f"{self.DESCRIPTIONS[name]}: {value} ({self.LABEL})"
            for name, value in self.as_mapping().items()
        ]
