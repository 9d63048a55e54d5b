"""One record (issue 10, observations 1 and 2): what was signed never changes, drafts never count.

Given a signed course, later drafts and notes are written; every view that reads derived values
(note get, the REST operation, the compiled notebook's data, the PDF) must keep showing the values
frozen at signing, and a draft's values come only from signed notes dated on or before it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kap_notes.compile.compiled import load_patient_data
from kap_notes.export import export_note_pdf
from kap_notes.records.chart import chart
from kap_notes.records.derived import BASELINE_RULE, baseline
from kap_notes.records.outcomes import series_for
from kap_notes.service import lifecycle, operations, review
from kap_notes.service.notes import list_notes
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault.session import Session
from tests.conftest import PASSPHRASES, Clinic
from tests.export.conftest import open_pdf, page_texts

START = dt.date(2026, 3, 2)


def _course() -> tuple[dict[str, Any], list[Any]]:
    course = synthetic_course(1, start=START)  # seed 1: an IV course
    assert course.steps[2].answers["route"] == "iv"
    return course.profile, course.steps


def _save(tess: Session, patient: str, form: str, answers: dict[str, Any], sign: bool) -> str:
    saved = lifecycle.save_draft(tess, patient, form, answers)
    if sign:
        lifecycle.sign_note(tess, saved.ref.note_id, PASSPHRASES["tess"])
    return saved.ref.note_id


def _later_preparation(steps: list[Any], weeks: int, weight: float, item: str) -> dict[str, Any]:
    answers = dict(steps[0].answers)
    answers["session_datetime"] = f"{START + dt.timedelta(weeks=weeks)}T10:00"
    answers["weight_kg"] = weight
    answers["phq9"] = {**answers["phq9"], **{f"phq9_{i}": item for i in range(1, 10)}}
    return answers


def _pdf_text(tess: Session, note_id: str) -> str:
    result = export_note_pdf(tess, note_id)
    return " ".join(page_texts(open_pdf(result.pdf, result.passphrase)))


@pytest.fixture
def signed_course(clinic: Clinic) -> tuple[Session, str, dict[str, str], list[Any]]:
    tess = clinic.unlock("tess")
    profile, steps = _course()
    patient = operations.run(tess, "add_patient", {"data": profile})["patient_id"]
    ids = {
        "preparation": _save(tess, patient, "preparation", steps[0].answers, sign=True),
        "dosing": _save(tess, patient, "dosing", steps[2].answers, sign=True),
    }
    integration = {**steps[3].answers, "linked_dosing_note_id": ids["dosing"]}
    ids["integration"] = _save(tess, patient, "integration", integration, sign=True)
    return tess, patient, ids, steps


def test_signed_mg_per_kg_never_changes_after_a_later_preparation(
    signed_course: tuple[Session, str, dict[str, str], list[Any]],
) -> None:
    tess, patient, ids, steps = signed_course
    weight, dose = steps[0].answers["weight_kg"], steps[2].answers["dose_mg"]
    expected = round(dose / weight, 2)
    before = lifecycle.note_details(tess, ids["dosing"])
    assert before.derived.computed["dose_mg_per_kg"] == pytest.approx(expected)
    assert before.derived.frozen
    assert ids["preparation"] in before.derived.source_notes
    pdf_before = _pdf_text(tess, ids["dosing"])

    # An unsigned preparation draft three weeks later with another weight (observation 1) ...
    _save(tess, patient, "preparation", _later_preparation(steps, 3, 100.0, "0"), sign=False)
    # ... and even a signed one.
    _save(tess, patient, "preparation", _later_preparation(steps, 4, 120.0, "0"), sign=True)

    after = lifecycle.note_details(tess, ids["dosing"])
    assert after.derived.computed == before.derived.computed
    rest = operations.run(tess, "get_note", {"note_id": ids["dosing"]})
    assert rest["computed"]["dose_mg_per_kg"] == pytest.approx(expected)
    data = load_patient_data(tess, patient)
    row = next(r for r in data.dosing if r["note_id"] == ids["dosing"])
    assert row["dose_mg_per_kg"] == pytest.approx(expected)
    assert _pdf_text(tess, ids["dosing"]) == pdf_before


def test_signed_phq9_change_never_changes_after_a_later_preparation(
    signed_course: tuple[Session, str, dict[str, str], list[Any]],
) -> None:
    tess, patient, ids, steps = signed_course
    before = lifecycle.note_details(tess, ids["integration"]).derived.computed
    assert before["phq9_change_percent"] is not None
    _save(tess, patient, "preparation", _later_preparation(steps, 3, 90.0, "1"), sign=False)
    _save(tess, patient, "preparation", _later_preparation(steps, 4, 90.0, "2"), sign=True)
    after = lifecycle.note_details(tess, ids["integration"]).derived.computed
    assert after["phq9_change_percent"] == before["phq9_change_percent"]
    assert after["phq9_response"] == before["phq9_response"]
    rest = operations.run(tess, "get_note", {"note_id": ids["integration"]})
    assert rest["computed"]["phq9_change_percent"] == before["phq9_change_percent"]


def test_a_draft_uses_only_signed_notes_dated_on_or_before_it(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    profile, steps = _course()
    patient = operations.run(tess, "add_patient", {"data": profile})["patient_id"]
    dosing = _save(tess, patient, "dosing", steps[2].answers, sign=False)
    # A signed preparation dated after the dosing session does not give the draft its weight.
    _save(tess, patient, "preparation", _later_preparation(steps, 8, 80.0, "0"), sign=True)
    assert lifecycle.note_details(tess, dosing).derived.computed["dose_mg_per_kg"] is None
    # An unsigned preparation dated before it does not either ...
    prep = _save(tess, patient, "preparation", steps[0].answers, sign=False)
    assert lifecycle.note_details(tess, dosing).derived.computed["dose_mg_per_kg"] is None
    # ... until it is signed.
    lifecycle.sign_note(tess, prep, PASSPHRASES["tess"])
    details = lifecycle.note_details(tess, dosing)
    weight, dose = steps[0].answers["weight_kg"], steps[2].answers["dose_mg"]
    assert details.derived.computed["dose_mg_per_kg"] == pytest.approx(round(dose / weight, 2))
    assert details.derived.source_notes == [prep]
    assert not details.derived.frozen


def test_one_baseline_rule_for_the_integration_note_and_the_notebook(
    signed_course: tuple[Session, str, dict[str, str], list[Any]],
) -> None:
    tess, patient, ids, _ = signed_course
    assert "first signed score" in BASELINE_RULE
    found = baseline("phq9", list_notes(tess, patient))
    assert found is not None
    assert found[1] == ids["preparation"]
    integration = lifecycle.note_details(tess, ids["integration"]).derived
    assert ids["preparation"] in integration.source_notes
    data = load_patient_data(tess, patient)
    assert data.baselines["phq9"] == found[0]


def test_note_get_shows_cosign_addendum_and_reviews(clinic: Clinic) -> None:
    """Observation 7: a co-signed note with an addendum is shown as such, with both."""
    tess, sam = clinic.unlock("tess"), clinic.unlock("sam")
    profile, steps = _course()
    patient = operations.run(tess, "add_patient", {"data": profile})["patient_id"]
    prep = _save(tess, patient, "preparation", steps[0].answers, sign=True)
    lifecycle.add_addendum(tess, prep, "Synthetic addendum text", passphrase=PASSPHRASES["tess"])
    review.cosign(sam, prep, passphrase=PASSPHRASES["sam"])
    got = operations.run(tess, "get_note", {"note_id": prep})
    assert got["status"] == "cosigned"
    assert [a["text"] for a in got["addenda"]] == ["Synthetic addendum text"]
    assert [(r["decision"], r["by"]) for r in got["reviews"]] == [("cosign", sam.user_id)]
    assert got["signature_valid"] is True


def test_course_summary_keeps_a_notes_frozen_change_when_an_earlier_note_is_signed_later(
    signed_course: tuple[Session, str, dict[str, str], list[Any]],
) -> None:
    tess, patient, ids, steps = signed_course
    frozen = lifecycle.note_details(tess, ids["integration"]).derived.computed
    # A preparation dated before the whole course, with another PHQ-9, is signed afterwards:
    # the course baseline moves, the integration note's own signed change does not.
    _save(tess, patient, "preparation", _later_preparation(steps, -2, 70.0, "3"), sign=True)
    series = series_for("phq9", chart(tess, patient).notes)
    assert series.baseline == 27  # the new first signed PHQ-9 (nine items of 3)
    point = next(p for p in series.points if p.note_id == ids["integration"])
    assert point.change_pct == round(frozen["phq9_change_percent"])
    assert point.response == frozen["phq9_response"]
