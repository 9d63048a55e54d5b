"""Forms benchmark: median time to build the dosing FormView and to validate+compute a full note.

Run: .venv/bin/python benchmarks/forms.py   (prints medians and targets from one run; no asserts)
"""

from __future__ import annotations

import datetime as dt
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kap_notes.forms import ClinicSettings, compute, flags, get_template, validate
from kap_notes.model.people import Role
from kap_notes.service import lifecycle
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault import access
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.vault import Vault
from kap_notes.widgets import FormView

REPEATS = 30
TARGETS_MS = {
    "build dosing FormView": 150.0,
    "validate + save a dosing draft (vault, after unlock)": 20.0,
}


def full_dosing_answers() -> dict[str, Any]:
    """A complete synthetic Spravato dosing note with 6 vitals rows and 2 adverse events."""
    vitals = [
        {
            "timepoint": f"{m} min",
            "measured_at": f"2024-03-01 09:{m:02d}",
            "systolic": 120 + m // 5,
            "diastolic": 78,
            "heart_rate": 72,
            "spo2": 98,
            "resp_rate": 14,
            "vitals_source": "monitor",
        }
        for m in (5, 15, 25, 35, 45, 55)
    ]
    return {
        "session_datetime": "2024-03-01 09:00",
        "session_number": 3,
        "session_phase": "induction",
        "clinicians_present": "Synthetic clinician",
        "route": "esketamine_in",
        "product": "spravato",
        "strength": "28 mg per device",
        "lot_number": "SYN-1",
        "dose_mg": 56,
        "devices_used": 2,
        "booster_given": False,
        "start_time": "2024-03-01 09:05",
        "onset_time": "2024-03-01 09:12",
        "peak_time": "2024-03-01 09:35",
        "baseline_time": "2024-03-01 10:40",
        "end_time": "2024-03-01 11:10",
        "vitals": vitals,
        "moaas": {"moaas_score": 4},
        "cadss": {"cadss_total": 18},
        "adverse_events": [
            {"ae_type": "nausea_vomiting", "ae_severity": "mild", "ae_resolved": True},
            {"ae_type": "dissociation", "ae_severity": "moderate", "ae_resolved": True},
        ],
        "discharge_time": "2024-03-01 11:15",
        "minutes_monitored": 125,
        "discharge_vitals_acceptable": True,
        "moaas_back_to_5": True,
        "escort_present": True,
        "no_driving_advice": True,
        "experience": "Synthetic narrative.",
        "rems_first_treatment": False,
        "rems_enrolled": True,
        "rems_dose": "56",
        "rems_lot": "SYN-1",
        "rems_monitoring_minutes": 125,
        "rems_ready_minutes": 100,
        "rems_vitals_ok_before": True,
        "rems_vitals_ok_completion": True,
        "rems_bp_before_systolic": 121,
        "rems_bp_before_diastolic": 78,
        "rems_bp_40min_systolic": 128,
        "rems_bp_40min_diastolic": 80,
        "rems_bp_completion_systolic": 122,
        "rems_bp_completion_diastolic": 78,
        "rems_sedation": False,
        "rems_dissociation": True,
        "rems_pulse_oximetry": True,
        "rems_serious_ae": False,
    }


def median_ms(action: Callable[[], object], repeats: int = REPEATS) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def save_timing(answers: dict[str, Any]) -> float:
    """Median ms to validate and durably save a dosing draft through the real vault."""
    folder = Path(tempfile.mkdtemp(prefix="kap-bench-forms-"))
    try:
        created = Vault.init(
            folder / "v",
            admin_name="ada",
            admin_passphrase="x" * 12,
            kdf=FAST_KDF,
            kdf_floor=FAST_KDF,
        )
        access.add_user(created.admin, "tess", Role.THERAPIST, "tess passphrase")
        tess = created.vault.unlock("tess", "tess passphrase")
        course = synthetic_course(1, start=dt.date(2026, 1, 5))
        patient = tess.create_patient({"kind": "patient", **course.profile})
        lifecycle.save_draft(tess, patient, "preparation", course.steps[0].answers)
        return median_ms(lambda: lifecycle.save_draft(tess, patient, "dosing", answers))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    dosing = get_template("dosing")
    answers = full_dosing_answers()
    context = {"patient_weight_kg": 70}
    settings = ClinicSettings()
    assert validate(dosing, answers, context).ok, validate(dosing, answers, context).messages()

    def check() -> None:
        validate(dosing, answers, context)
        compute(dosing, answers, context)
        flags(dosing, answers, context, settings)

    FormView(dosing, answers, context)  # warm-up (imports, caches)
    results = {
        "build dosing FormView": median_ms(lambda: FormView(dosing, context=context)),
        "build dosing FormView with a full note": median_ms(
            lambda: FormView(dosing, answers, context)
        ),
        "validate + compute + flags (dosing)": median_ms(check),
        "validate + save a dosing draft (vault, after unlock)": save_timing(answers),
    }
    print(f"kap-notes forms benchmark — medians of {REPEATS} runs")
    for name, value in results.items():
        target = TARGETS_MS.get(name)
        verdict = "" if target is None else f"  (target <= {target:.0f} ms: "
        verdict += "" if target is None else ("met)" if value <= target else "MISSED)")
        print(f"  {name:<42} {value:8.1f} ms{verdict}")


if __name__ == "__main__":
    main()
