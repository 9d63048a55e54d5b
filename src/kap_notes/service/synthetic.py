"""Synthetic courses of KAP treatment: made-up people and template-valid answers, for the demo,
the tests and the benchmarks. Deterministic for a given seed. Never real patients.

A course is preparation, intention, an induction of six dosing sessions (about two a week), each
followed within days by an integration session, then maintenance boosters for those who respond.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

FIRST_NAMES = [
    "Avery",
    "Blake",
    "Casey",
    "Dana",
    "Emery",
    "Finley",
    "Gray",
    "Harper",
    "Indy",
    "Jules",
    "Kai",
    "Lane",
    "Morgan",
    "Noor",
    "Oakley",
    "Parker",
    "Quinn",
    "Reese",
    "Sage",
    "Tatum",
]
LAST_NAMES = [
    "Testperson",
    "Sampleton",
    "Fakename",
    "Demoson",
    "Mockwell",
    "Placeholder",
    "Synthetica",
    "Notreal",
]
ROUTES = ["im", "iv", "sublingual", "esketamine_in"]


@dataclass(frozen=True)
class Step:
    """One note of a course: the form, its answers, and how the demo should finish it."""

    form: str
    answers: dict[str, Any]
    link_to_previous_dosing: bool = False
    sign: bool = True


@dataclass
class Course:
    """A synthetic patient and their notes in session order."""

    profile: dict[str, str]
    steps: list[Step] = field(default_factory=list)


def _at(day: dt.date, hour: int, minute: int = 0) -> str:
    return dt.datetime.combine(day, dt.time(hour, minute)).strftime("%Y-%m-%dT%H:%M")


def _items(prefix: str, count: int, total: int, rng: random.Random, top: int = 3) -> dict[str, str]:
    """Item answers (codes as strings) that add up to ``total``."""
    values = [0] * count
    for _ in range(min(total, count * top)):
        candidates = [i for i in range(count) if values[i] < top]
        values[rng.choice(candidates)] += 1
    return {f"{prefix}_{i + 1}": str(v) for i, v in enumerate(values)}


def phq9(total: int, rng: random.Random, *, item9: int = 0) -> dict[str, str]:
    """PHQ-9 answers adding up to ``total`` with item 9 fixed."""
    answers = _items("phq9", 8, max(0, total - item9), rng)
    return {**answers, "phq9_9": str(item9), "phq9_difficulty": "somewhat"}


def gad7(total: int, rng: random.Random) -> dict[str, str]:
    return _items("gad7", 7, total, rng)


def _vitals(
    rng: random.Random, route: str, start: dt.datetime, peak_rise: int
) -> list[dict[str, Any]]:
    offsets = {
        "iv": [-5, 15, 30, 45, 60, 90],
        "esketamine_in": [-5, 40, 120],
        "sublingual": [-5, 30, 60, 120],
    }.get(route, [-5, 15, 30, 45, 90])
    base_sys, base_dia = rng.randint(112, 132), rng.randint(70, 84)
    rows = []
    for index, offset in enumerate(offsets):
        rise = 0 if index == 0 or index == len(offsets) - 1 else peak_rise - 4 * abs(index - 1)
        rows.append(
            {
                "timepoint": "Before dosing" if offset < 0 else f"{offset} min",
                "measured_at": (start + dt.timedelta(minutes=offset)).strftime("%Y-%m-%dT%H:%M"),
                "systolic": base_sys + max(rise, 0),
                "diastolic": base_dia + max(rise, 0) // 2,
                "heart_rate": rng.randint(62, 88),
                "spo2": rng.randint(95, 99),
                "resp_rate": rng.randint(12, 18),
                "vitals_source": "monitor",
            }
        )
    return rows


def preparation(
    day: dt.date, rng: random.Random, *, weight: float, phq_total: int, ptsd: bool
) -> dict[str, Any]:
    """A preparation note (template 1.2.0: the patient's identity lives in the patient record)."""
    answers: dict[str, Any] = {
        "session_datetime": _at(day, 10),
        "session_number": 1,
        "clinicians_present": "Synthetic team",
        "indication": ["trd", "ptsd"] if ptsd else ["trd"],
        "icd10_code": "F33.2",
        "hx_psychosis": False,
        "hx_mania_bipolar": False,
        "hx_substance_use": False,
        "hx_ptsd": ptsd,
        "calming_preference": "Slow breathing and a hand on the shoulder",
        "antidepressant_trials": [
            {
                "trial_drug": "Sertraline",
                "trial_dose_mg": 150,
                "trial_weeks": 12,
                "trial_response": "partial",
            },
            {
                "trial_drug": "Venlafaxine",
                "trial_dose_mg": 225,
                "trial_weeks": 10,
                "trial_response": "none",
            },
        ],
        "mhx_hypertension": False,
        "mhx_vascular": False,
        "mhx_heart_disease": False,
        "mhx_pregnancy": False,
        "concomitant_classes": ["none"],
        "weight_kg": weight,
        "baseline_systolic": rng.randint(112, 134),
        "baseline_diastolic": rng.randint(70, 84),
        "baseline_heart_rate": rng.randint(60, 84),
        "phq9": phq9(phq_total, rng, item9=1 if phq_total >= 20 else 0),
        "gad7": gad7(rng.randint(9, 17), rng),
        "cssrs": {
            "cssrs_risk": "low" if phq_total >= 20 else "none",
            "cssrs_screened_at": day.isoformat(),
        },
        "consent_document_version": "KAP consent v3 (synthetic)",
        "consent_signed_at": _at(day, 10, 40),
        "routes_consented": ["iv", "im", "sublingual", "esketamine_in"],
        "risks_discussed": [
            "dissociation",
            "bp_rise",
            "nausea",
            "dizziness",
            "blurred_vision",
            "abuse_potential",
            "no_driving",
        ],
        "touch_consent": "yes",
        "fasting_acknowledged": True,
        "escort_plan": "Partner drives home after each session",
    }
    if ptsd:
        answers["pcl5"] = _items("pcl5", 20, rng.randint(34, 52), rng, top=4)
    return answers


def intention(day: dt.date, rng: random.Random) -> dict[str, Any]:
    return {
        "session_datetime": _at(day, 11),
        "session_number": 1,
        "setting": "in_person",
        "intentions": [
            {
                "intention": rng.choice(
                    [
                        "Reconnect with what matters to me",
                        "Loosen the grip of old grief",
                        "Meet my anxiety with curiosity",
                        "Feel at home in my body again",
                    ]
                )
            }
        ],
        "hopes": "Lighter mornings",
        "fears": "Losing control during the session",
        "expectations": "Some relief, and material to work with",
        "music": "Instrumental playlist",
        "eye_mask": True,
        "position": "reclined",
        "grounding_plan": "Breath counting; therapist names the room and the time",
        "psychoeducation": ["what_to_expect", "dissociation", "side_effects", "no_driving"],
        "medicines_reviewed": True,
        "medicines_changes": "None",
    }


def dosing(
    day: dt.date, rng: random.Random, *, route: str, weight: float, number: int, adverse: bool
) -> dict[str, Any]:
    start = dt.datetime.combine(day, dt.time(9, 30))
    per_kg = {"im": 0.6, "iv": 0.5, "sublingual": 3.0, "esketamine_in": 0}.get(route, 0.6)
    dose = 56.0 if route == "esketamine_in" else round(weight * per_kg * rng.uniform(0.9, 1.2))
    minutes = {"iv": 120, "esketamine_in": 130}.get(route, 110)
    vitals = _vitals(rng, route, start, peak_rise=rng.randint(8, 30))
    answers: dict[str, Any] = {
        "session_datetime": _at(day, 9, 15),
        "session_number": number,
        "route": route,
        "product": "spravato" if route == "esketamine_in" else "ketamine_hcl_injection",
        "strength": "28 mg per device" if route == "esketamine_in" else "50 mg/mL",
        "lot_number": f"SYN{rng.randint(10000, 99999)}",
        "dose_mg": dose,
        "start_time": start.strftime("%Y-%m-%dT%H:%M"),
        "onset_time": (start + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        "peak_time": (start + dt.timedelta(minutes=25)).strftime("%Y-%m-%dT%H:%M"),
        "baseline_time": (start + dt.timedelta(minutes=70)).strftime("%Y-%m-%dT%H:%M"),
        "end_time": (start + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M"),
        "vitals": vitals,
        "moaas": {"moaas_score": str(rng.choice([3, 4, 4, 5]))},
        "cadss": {"cadss_total": rng.randint(8, 40)},
        "adverse_events": [],
        "discharge_time": (start + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M"),
        "minutes_monitored": minutes,
        "discharge_vitals_acceptable": True,
        "moaas_back_to_5": True,
        "escort_present": True,
        "no_driving_advice": True,
        "experience": "Floating, images of a childhood garden; some tearfulness.",
        "interventions": "Grounding at 20 min; music adjusted.",
        "integration_themes": "Tenderness toward younger self",
    }
    if route == "iv":
        answers["infusion_minutes"] = 40
    if route == "sublingual":
        answers["hold_minutes"] = 12
    if route == "esketamine_in":
        answers |= _rems(vitals, rng, first=number == 1)
    if adverse:
        answers["adverse_events"] = [
            {
                "ae_type": "nausea_vomiting",
                "ae_onset": vitals[1]["measured_at"],
                "ae_severity": "mild",
                "ae_intervention": "Ondansetron 4 mg ODT",
                "ae_rescue_medicine": "Ondansetron",
                "ae_resolved": True,
                "ae_serious": False,
            }
        ]
    return answers


def _rems(vitals: list[dict[str, Any]], rng: random.Random, *, first: bool) -> dict[str, Any]:
    before, forty, end = vitals[0], vitals[1], vitals[-1]
    return {
        "devices_used": 2,
        "rems_first_treatment": first,
        "rems_enrolled": True,
        "rems_dose": "56",
        "rems_lot": f"SPR{rng.randint(1000, 9999)}",
        "rems_monitoring_minutes": 130,
        "rems_ready_minutes": 95,
        "rems_vitals_ok_before": True,
        "rems_vitals_ok_completion": True,
        "rems_bp_before_systolic": before["systolic"],
        "rems_bp_before_diastolic": before["diastolic"],
        "rems_bp_40min_systolic": forty["systolic"],
        "rems_bp_40min_diastolic": forty["diastolic"],
        "rems_bp_completion_systolic": end["systolic"],
        "rems_bp_completion_diastolic": end["diastolic"],
        "rems_sedation": False,
        "rems_dissociation": True,
        "rems_pulse_oximetry": True,
        "rems_serious_ae": False,
    }


def integration(
    day: dt.date, rng: random.Random, *, phq_total: int, next_day: dt.date | None, next_step: str
) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "session_date": day.isoformat(),
        "setting": rng.choice(["in_person", "remote"]),
        "experience_recap": "Revisited the garden image; felt held rather than lost.",
        "feelings": "Grief, then relief",
        "insights": "I can be kind to the part of me that is scared",
        "patterns": "Bracing before conversations with family",
        "application": "Pause and breathe before replying to messages",
        "after_effects_72h": "Tired the first evening; brighter mood on day two",
        "homework": [
            {
                "goal": "Daily ten-minute walk",
                "homework_task": "Walk after lunch",
                "homework_status": "in_progress",
            }
        ],
        "phq9": phq9(phq_total, rng),
        "gad7": gad7(max(0, phq_total - 3), rng),
        "next_step": next_step,
    }
    if next_day is not None:
        answers["next_session_date"] = next_day.isoformat()
    return answers


def synthetic_course(
    seed: int, *, start: dt.date, improving: bool = True, boosters: int = 2
) -> Course:
    """One synthetic patient's course of treatment."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    dob = dt.date(1955 + rng.randint(0, 45), rng.randint(1, 12), rng.randint(1, 28)).isoformat()
    chart_code = f"KAP-S{seed:05d}"
    weight = round(rng.uniform(52, 105), 1)
    route = ROUTES[seed % len(ROUTES)]
    ptsd = seed % 3 == 0
    phq = rng.randint(15, 24)
    profile = {
        "name": name,
        "date_of_birth": dob,
        "sex": "unknown",
        "contact": "synthetic",
        "chart_code": chart_code,
    }
    course = Course(profile)
    course.steps.append(
        Step(
            "preparation",
            preparation(start, rng, weight=weight, phq_total=phq, ptsd=ptsd),
        )
    )
    course.steps.append(Step("intention", intention(start + dt.timedelta(days=7), rng)))
    day = start + dt.timedelta(days=14)
    sessions = [day + dt.timedelta(days=3 * i + (i // 2)) for i in range(6)]
    last = sessions[-1]
    sessions += [
        last + dt.timedelta(weeks=4 * (b + 1)) for b in range(boosters if improving else 0)
    ]
    for number, session_day in enumerate(sessions, start=1):
        course.steps.append(
            Step(
                "dosing",
                dosing(
                    session_day,
                    rng,
                    route=route,
                    weight=weight,
                    number=number,
                    adverse=rng.random() < 0.12,
                ),
            )
        )
        phq = max(1, phq - rng.randint(2, 4)) if improving else max(12, phq + rng.randint(-2, 1))
        following = sessions[number] if number < len(sessions) else None
        step = "booster" if number >= 6 and improving else ("continue" if number < 6 else "pause")
        course.steps.append(
            Step(
                "integration",
                integration(
                    session_day + dt.timedelta(days=rng.randint(1, 2)),
                    rng,
                    phq_total=phq,
                    next_day=following,
                    next_step=step,
                ),
                link_to_previous_dosing=True,
            )
        )
    return course
