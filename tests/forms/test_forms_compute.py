"""Computed values, review flags with clinic settings, route presets, pruning."""

from __future__ import annotations

import pytest

from kap_notes.forms import (
    ClinicSettings,
    apply_preset,
    compute,
    flags,
    get_template,
    preset_rows,
    prune_disabled,
)
from tests.forms.helpers import COMPLETE, dosing_answers


def test_mg_per_kg_from_patient_weight_in_context() -> None:
    result = compute(get_template("dosing"), dosing_answers(), {"patient_weight_kg": 70})
    assert result["dose_mg_per_kg"] == 0.5
    assert result["total_dose_mg"] == 35
    assert result["session_minutes"] == 80


def test_mg_per_kg_includes_booster_only_when_given() -> None:
    answers = dosing_answers() | {"booster_given": True, "booster_dose_mg": "14"}
    result = compute(get_template("dosing"), answers, {"patient_weight_kg": "70"})
    assert (result["total_dose_mg"], result["total_dose_mg_per_kg"]) == (49, 0.7)
    answers["booster_given"] = False
    assert (
        compute(get_template("dosing"), answers, {"patient_weight_kg": 70})["total_dose_mg"] == 35
    )


@pytest.mark.parametrize("weight", [None, 0, "heavy"])
def test_mg_per_kg_unknown_without_a_usable_weight(weight: object) -> None:
    context = {} if weight is None else {"patient_weight_kg": weight}
    assert compute(get_template("dosing"), dosing_answers(), context)["dose_mg_per_kg"] is None


def test_instrument_totals_and_bands_are_computed_for_embedded_instruments() -> None:
    result = compute(get_template("dosing"), dosing_answers())
    assert result["moaas"]["total"] == 4
    assert result["cadss"]["total"] == 21
    prep = compute(get_template("preparation"), COMPLETE["preparation"][0]())
    assert (prep["phq9"]["total"], prep["phq9"]["band"]) == (9, "mild")
    assert prep["antidepressant_trial_count"] == 2


def test_days_since_dosing_and_phq9_response() -> None:
    factory, context = COMPLETE["integration"]
    result = compute(get_template("integration"), factory(), context | {"baseline_phq9_total": 20})
    assert result["days_since_dosing"] == 3
    assert result["phq9"]["total"] == 9
    assert (result["phq9_change_percent"], result["phq9_response"]) == (-55, True)


def test_days_since_dosing_unknown_without_linked_date() -> None:
    result = compute(get_template("integration"), COMPLETE["integration"][0]())
    assert result["days_since_dosing"] is None


def test_bp_flags_follow_clinic_settings_and_say_for_review() -> None:
    answers = dosing_answers()
    answers["vitals"][1] |= {"systolic": 165, "diastolic": 95}
    raised = flags(get_template("dosing"), answers)
    assert [(f.id, f.row, f.group) for f in raised] == [
        ("bp_at_or_above_clinic_alert", 1, "vitals")
    ]
    assert "clinic alert setting (160/100 mmHg)" in raised[0].message
    assert "for review" in raised[0].message
    stricter = ClinicSettings(systolic_alert_mmhg=120)
    assert len(flags(get_template("dosing"), answers, settings=stricter)) == 2
    assert flags(get_template("dosing"), answers, settings=ClinicSettings(170, 110)) == []


def test_settings_are_labelled_as_clinic_settings() -> None:
    assert all("(clinic setting)" in line for line in ClinicSettings().describe())


def test_phq9_item9_safety_flag_from_embedded_instrument() -> None:
    factory, context = COMPLETE["integration"]
    answers = factory()
    answers["phq9"] = answers["phq9"] | {"phq9_9": 1}
    raised = flags(get_template("integration"), answers, context)
    assert [(f.id, f.group, f.link_id) for f in raised] == [("phq9_item9", "phq9", "phq9_9")]


def test_spravato_preset_rows_with_times_from_start() -> None:
    dosing = get_template("dosing")
    answers = {"route": "esketamine_in", "start_time": "2024-03-01 09:10"}
    rows = preset_rows(dosing, "vitals", answers)
    assert [r["timepoint"] for r in rows] == [
        "Before dosing",
        "About 40 min after dosing",
        "Before discharge",
    ]
    assert rows[1]["measured_at"] == "2024-03-01 09:50"


def test_iv_preset_rows_every_15_minutes() -> None:
    rows = preset_rows(get_template("dosing"), "vitals", {"route": "iv"})
    assert [r["timepoint"] for r in rows][1:4] == ["15 min", "30 min", "45 min (end of infusion)"]
    assert all("measured_at" not in r for r in rows)


def test_apply_preset_keeps_typed_rows_and_does_not_duplicate() -> None:
    dosing = get_template("dosing")
    answers = {
        "route": "esketamine_in",
        "vitals": [{"timepoint": "Before dosing", "systolic": 120}, {}],
    }
    merged = apply_preset(dosing, "vitals", answers)
    assert merged[0] == {"timepoint": "Before dosing", "systolic": 120}
    assert [r["timepoint"] for r in merged] == [
        "Before dosing",
        "About 40 min after dosing",
        "Before discharge",
    ]
    assert apply_preset(dosing, "vitals", {"route": None}) == []


def test_prune_disabled_drops_answers_of_disabled_items_only() -> None:
    answers = dosing_answers("iv") | {"rems_lot": "X", "booster_dose_mg": 5, "legacy": 1}
    pruned = prune_disabled(get_template("dosing"), answers)
    assert "rems_lot" not in pruned
    assert "booster_dose_mg" not in pruned
    assert pruned["legacy"] == 1
    assert pruned["vitals"] == answers["vitals"]
