"""Shared helpers for forms tests: complete synthetic answer sets per session type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kap_notes.forms import shipped_templates

PHQ9_MILD = {f"phq9_{i}": 1 for i in range(1, 10)} | {"phq9_9": 0, "phq9_1": 2}
GAD7_MILD = {f"gad7_{i}": 1 for i in range(1, 8)}


def shipped_yaml(relative: str) -> dict[str, Any]:
    """A shipped template as a plain mapping (to derive clinic variants in tmp folders)."""
    root = shipped_templates()
    loaded: dict[str, Any] = yaml.safe_load((root / relative).read_text("utf-8"))
    return loaded


def write_yaml(folder: Path, name: str, doc: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")
    return path


def dosing_answers(route: str = "iv") -> dict[str, Any]:
    answers: dict[str, Any] = {
        "session_datetime": "2024-03-01 09:00",
        "session_number": 2,
        "route": route,
        "product": "ketamine_hcl_injection",
        "lot_number": "SYN-LOT-1",
        "dose_mg": 35,
        "start_time": "2024-03-01 09:10",
        "onset_time": "2024-03-01 09:15",
        "end_time": "2024-03-01 10:30",
        "booster_given": False,
        "vitals": [
            {"timepoint": "Before", "systolic": 122, "diastolic": 78, "heart_rate": 70, "spo2": 98},
            {"timepoint": "15 min", "systolic": 138, "diastolic": 85, "heart_rate": 76, "spo2": 97},
        ],
        "moaas": {"moaas_score": 4},
        "cadss": {"cadss_total": 21},
        "adverse_events": [{"ae_type": "nausea_vomiting", "ae_severity": "mild"}],
        "minutes_monitored": 90,
        "experience": "Synthetic narrative.",
    }
    if route == "esketamine_in":
        answers |= rems_answers()
    return answers


def rems_answers() -> dict[str, Any]:
    return {
        "rems_first_treatment": False,
        "rems_enrolled": True,
        "rems_dose": "56",
        "rems_lot": "SYN-SPR-1",
        "rems_monitoring_minutes": 125,
        "rems_ready_minutes": 90,
        "rems_vitals_ok_before": True,
        "rems_vitals_ok_completion": True,
        "rems_bp_before_systolic": 124,
        "rems_bp_before_diastolic": 80,
        "rems_bp_40min_systolic": 140,
        "rems_bp_40min_diastolic": 88,
        "rems_bp_completion_systolic": 126,
        "rems_bp_completion_diastolic": 82,
        "rems_sedation": False,
        "rems_dissociation": True,
        "rems_pulse_oximetry": True,
        "rems_serious_ae": False,
    }


def preparation_answers() -> dict[str, Any]:
    return {
        "session_datetime": "2024-02-20 10:00",
        "indication": ["trd"],
        "icd10_code": "F33.2",
        "hx_psychosis": False,
        "hx_mania_bipolar": False,
        "hx_substance_use": False,
        "hx_ptsd": False,
        "antidepressant_trials": [
            {"trial_drug": "sertraline", "trial_dose_mg": 150, "trial_weeks": 10},
            {"trial_drug": "bupropion", "trial_dose_mg": 300, "trial_weeks": 8},
        ],
        "mhx_hypertension": False,
        "mhx_vascular": False,
        "mhx_heart_disease": False,
        "mhx_pregnancy": False,
        "weight_kg": 70,
        "baseline_systolic": 124,
        "baseline_diastolic": 80,
        "baseline_heart_rate": 72,
        "phq9": PHQ9_MILD,
        "gad7": GAD7_MILD,
        "cssrs": {"cssrs_risk": "none"},
        "consent_document_version": "2024-01",
        "consent_signed_at": "2024-02-20 10:30",
        "routes_consented": ["iv", "esketamine_in"],
        "risks_discussed": ["dissociation", "bp_rise", "no_driving"],
        "touch_consent": "limited",
        "touch_details": "Hand on shoulder only",
        "fasting_acknowledged": True,
        "escort_plan": "Partner drives home",
    }


def intention_answers() -> dict[str, Any]:
    return {
        "session_datetime": "2024-02-27 10:00",
        "setting": "in_person",
        "intentions": [{"intention": "Meet sadness with curiosity"}],
        "grounding_plan": "Breath counting; hand on chest",
        "medicines_reviewed": True,
        "psychoeducation": ["what_to_expect", "no_driving"],
    }


def integration_answers() -> dict[str, Any]:
    return {
        "session_date": "2024-03-04",
        "linked_dosing_note_id": "note-synthetic-1",
        "insights": "Synthetic insight.",
        "homework": [{"goal": "Walk daily", "homework_due": "2024-03-11"}],
        "phq9": PHQ9_MILD,
        "next_step": "continue",
        "next_session_date": "2024-03-08",
    }


INTEGRATION_CONTEXT = {"dosing_note_id": "note-synthetic-1", "dosing_date": "2024-03-01"}


def process_answers() -> dict[str, Any]:
    return {"session_datetime": "2024-03-04 15:00", "process_note": "Synthetic process note."}


COMPLETE = {
    "preparation": (preparation_answers, {}),
    "intention": (intention_answers, {}),
    "dosing": (dosing_answers, {"patient_weight_kg": 70}),
    "integration": (integration_answers, INTEGRATION_CONTEXT),
    "process-note": (process_answers, {}),
}
"""Session type → (complete answers factory, context)."""
