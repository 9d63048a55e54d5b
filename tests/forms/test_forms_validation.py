"""Validation messages, enableWhen, cross-field rules, signing requirements."""

from __future__ import annotations

from typing import Any

import pytest

from kap_notes.forms import ValidationIssue, get_template, validate
from tests.forms.helpers import COMPLETE, dosing_answers, rems_answers


@pytest.mark.parametrize("session", sorted(COMPLETE))
def test_complete_answers_for_every_session_type_can_be_signed(session: str) -> None:
    factory, context = COMPLETE[session]
    result = validate(get_template(session), factory(), context)
    assert result.errors == (), result.messages()
    assert result.ok


def test_range_message_names_field_value_range_and_row() -> None:
    answers = dosing_answers()
    answers["vitals"][1]["systolic"] = "1200"
    result = validate(get_template("dosing"), answers)
    assert "Systolic BP 1200 mmHg is outside 60\u2013260 mmHg (vitals row 2)" in result.messages()
    issue = next(i for i in result.errors if i.link_id == "systolic")
    assert (issue.group, issue.row, issue.kind, issue.severity) == ("vitals", 1, "range", "error")


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("dose_mg", "abc", "Dose 'abc' is not a number"),
        ("dose_mg", "12a", "Dose '12a' is not a number"),
        ("dose_mg", "0", "Dose 0 mg is outside 0.5\u20131000 mg"),
        ("session_number", "2.5", "Dosing session number '2.5' is not a whole number"),
        ("start_time", "yesterday", "Dosing start 'yesterday' is not a date and time"),
        ("route", "rectal", "Route 'rectal' is not one of: IV infusion"),
        ("booster_given", "maybe", "Booster dose given must be yes or no"),
    ],
)
def test_type_messages(field: str, typed: Any, message: str) -> None:
    answers = dosing_answers() | {field: typed}
    result = validate(get_template("dosing"), answers, {"patient_weight_kg": 70})
    assert any(m.startswith(message) for m in result.messages()), result.messages()
    assert not result.ok


def test_validation_never_changes_the_answers() -> None:
    answers = dosing_answers() | {"dose_mg": "12a"}
    validate(get_template("dosing"), answers)
    assert answers["dose_mg"] == "12a"


def test_numbers_typed_as_text_are_accepted() -> None:
    answers = dosing_answers() | {"dose_mg": "35.5"}
    assert validate(get_template("dosing"), answers).ok


def test_required_fields_are_reported_but_a_draft_result_is_still_returned() -> None:
    result = validate(get_template("dosing"), {})
    required = {i.link_id for i in result.errors if i.kind == "required"}
    assert {"route", "dose_mg", "session_datetime", "start_time", "end_time"} <= required
    assert "Route is required" in result.messages()


def test_enable_when_disabled_items_are_ignored() -> None:
    answers = dosing_answers("iv") | {"booster_given": False, "booster_dose_mg": "lots"}
    result = validate(get_template("dosing"), answers)
    assert not [i for i in result.issues if i.link_id == "booster_dose_mg"]
    answers["booster_given"] = True
    result = validate(get_template("dosing"), answers)
    assert "Booster dose 'lots' is not a number" in result.messages()
    assert "Booster given at is required" in result.messages()


def test_enable_when_any_on_multi_choice() -> None:
    prep = get_template("preparation")
    answers = COMPLETE["preparation"][0]()
    assert not [i for i in validate(prep, answers).issues if i.link_id == "pcl5"]
    answers["indication"] = ["trd", "ptsd"]
    assert "PCL-5 (baseline, where PTSD) is required" in validate(prep, answers).messages()


def test_enable_when_inside_a_row() -> None:
    answers = dosing_answers() | {"adverse_events": [{"ae_type": "other"}]}
    result = validate(get_template("dosing"), answers)
    assert "Other event (describe) is required (adverse event row 1)" in result.messages()


def test_diastolic_below_systolic_in_each_vitals_row() -> None:
    answers = dosing_answers()
    answers["vitals"].append({"systolic": 120, "diastolic": 125})
    result = validate(get_template("dosing"), answers)
    rule = [i for i in result.errors if i.kind == "rule"]
    assert [(i.link_id, i.row) for i in rule] == [("diastolic", 2)]
    assert rule[0].message == (
        "Diastolic BP 125 mmHg must be below systolic BP 120 mmHg (vitals row 3)"
    )


def test_end_after_start() -> None:
    answers = dosing_answers() | {"end_time": "2024-03-01 09:00"}
    messages = validate(get_template("dosing"), answers).messages()
    assert (
        "Session end (2024-03-01 09:00) must be after dosing start (2024-03-01 09:10)" in messages
    )


def test_integration_date_not_before_linked_dosing_date() -> None:
    factory, context = COMPLETE["integration"]
    answers = factory() | {"session_date": "2024-02-28", "next_session_date": "2024-03-08"}
    messages = validate(get_template("integration"), answers, context).messages()
    assert (
        "Integration date 2024-02-28 must not be before the linked dosing date 2024-03-01"
        in messages
    )


def test_rules_skip_when_values_are_missing_or_invalid() -> None:
    answers = dosing_answers() | {"end_time": "soon"}
    result = validate(get_template("dosing"), answers)
    assert [i.kind for i in result.errors] == ["type"]


def test_spravato_rems_group_must_be_complete_before_signing() -> None:
    dosing = get_template("dosing")
    answers = dosing_answers("esketamine_in")
    del answers["rems_pulse_oximetry"]
    result = validate(dosing, answers)
    signing = [i for i in result.errors if i.kind == "signing"]
    assert {i.link_id for i in signing} == {"rems_pulse_oximetry", "rems"}
    assert "Pulse oximetry monitored is required before signing" in result.messages()
    assert validate(dosing, answers | {"rems_pulse_oximetry": False}).ok


def test_rems_not_required_for_other_routes() -> None:
    answers = dosing_answers("iv")
    assert rems_answers().keys().isdisjoint(answers)
    assert validate(get_template("dosing"), answers).ok


def test_unknown_fields_are_warnings_not_errors() -> None:
    result = validate(get_template("process-note"), COMPLETE["process-note"][0]() | {"old": 1})
    assert result.ok
    assert [i.kind for i in result.warnings] == ["unknown"]


def test_malformed_shapes_become_issues() -> None:
    answers = dosing_answers() | {"vitals": [{"systolic": 120}, "x"], "moaas": 5}
    result = validate(get_template("dosing"), answers)
    assert "Vitals row 2 is not a row of answers" in result.messages()
    assert any(i.link_id == "moaas" and i.kind == "shape" for i in result.errors)
    assert validate(get_template("dosing"), [1, 2]).errors[0].kind == "shape"  # type: ignore[arg-type]


def test_partially_answered_instrument_reports_missing_items() -> None:
    answers = COMPLETE["integration"][0]() | {"phq9": {"phq9_1": 1}}
    result = validate(get_template("integration"), answers, COMPLETE["integration"][1])
    assert "PHQ-9 item 2 is required" in result.messages()
    issue = next(i for i in result.errors if i.link_id == "phq9_2")
    assert issue.group == "phq9"


def test_issue_is_plain_data() -> None:
    issue = ValidationIssue("systolic", "m", row=1, group="vitals", kind="range")
    assert issue.as_dict() == {
        "linkId": "systolic",
        "message": "m",
        "severity": "error",
        "row": 1,
        "group": "vitals",
        "kind": "range",
    }
