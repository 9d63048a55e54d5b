"""The note lifecycle through the service layer, against a real vault and the shipped templates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kap_notes.forms import get_template, validate
from kap_notes.records import chart
from kap_notes.records.derived import context_for
from kap_notes.service import lifecycle, review
from kap_notes.service.demo import record_course
from kap_notes.service.notes import get_note, list_notes
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault.errors import SignedRecordImmutable, WrongPassphrase
from kap_notes.vault.signing import verify_content
from tests.conftest import PASSPHRASES, Clinic, synthetic_patient


@pytest.mark.parametrize("seed", range(1, 9))
def test_every_synthetic_note_is_valid_against_its_template(seed: int) -> None:
    course = synthetic_course(seed, start=dt.date(2026, 1, 5), improving=seed % 2 == 0)
    dosing_dates: list[str] = []
    for step in course.steps:
        context: dict[str, Any] = {"patient_weight_kg": course.steps[0].answers["weight_kg"]}
        if step.form == "dosing":
            dosing_dates.append(step.answers["session_datetime"][:10])
        if step.form == "integration":
            context |= {"dosing_date": dosing_dates[-1], "dosing_note_id": "rec_x"}
        answers = (
            {**step.answers, "linked_dosing_note_id": "rec_x"}
            if step.form == "integration"
            else step.answers
        )
        result = validate(get_template(step.form), answers, context)
        assert result.errors == (), [i.message for i in result.errors]


def _patient(clinic: Clinic) -> tuple[Any, str]:
    tess = clinic.unlock("tess")
    return tess, tess.create_patient(
        {"kind": "patient", "chart_code": "KAP-T1", "sex": "unknown", **synthetic_patient()}
    )


def test_draft_keeps_exactly_what_was_typed_and_signing_needs_it_fixed(clinic: Clinic) -> None:
    tess, patient = _patient(clinic)
    course = synthetic_course(4, start=dt.date(2026, 2, 2))
    prep = lifecycle.save_draft(tess, patient, "preparation", course.steps[0].answers)
    lifecycle.sign_note(tess, prep.ref.note_id, PASSPHRASES["tess"])
    typed = {
        **course.steps[2].answers,
        "dose_mg": "12a",
        "vitals": [{**course.steps[2].answers["vitals"][0], "systolic": 1200}],
    }
    saved = lifecycle.save_draft(tess, patient, "dosing", typed)
    # the draft holds exactly what was typed, mistakes included
    assert get_note(tess, saved.ref.note_id).answers == typed
    messages = saved.assessment.validation.messages()
    assert any("'12a' is not a number" in m for m in messages)
    assert any("1200 mmHg is outside 60–260 mmHg" in m for m in messages)
    with pytest.raises(lifecycle.NotSignable, match="1200 mmHg"):
        lifecycle.sign_note(tess, saved.ref.note_id, PASSPHRASES["tess"])
    fixed = lifecycle.save_draft(
        tess,
        patient,
        "dosing",
        course.steps[2].answers,
        note_id=saved.ref.note_id,
        expected_version=saved.ref.version,
    )
    signed = lifecycle.sign_note(tess, fixed.ref.note_id, PASSPHRASES["tess"])
    note = get_note(tess, signed.ref.note_id)
    assert note.status == "signed"
    assert note.signature is not None
    assert note.signature["signer"] == tess.user_id
    # mg/kg was computed from the preparation note's weight
    weight = course.steps[0].answers["weight_kg"]
    dose = course.steps[2].answers["dose_mg"]
    assert note.extra["computed"]["dose_mg_per_kg"] == pytest.approx(round(dose / weight, 2))
    assert verify_content(tess.signing_key_of, note.to_record(), note.note_id, note.version)


def test_signing_needs_the_passphrase_and_signed_notes_never_change(clinic: Clinic) -> None:
    tess, patient = _patient(clinic)
    answers = synthetic_course(2, start=dt.date(2026, 2, 2)).steps[1].answers
    saved = lifecycle.save_draft(tess, patient, "intention", answers)
    with pytest.raises(WrongPassphrase):
        lifecycle.sign_note(tess, saved.ref.note_id, "not my passphrase")
    assert get_note(tess, saved.ref.note_id).signature is None
    signed = lifecycle.sign_note(tess, saved.ref.note_id, PASSPHRASES["tess"])
    with pytest.raises(SignedRecordImmutable):
        lifecycle.save_draft(
            tess,
            patient,
            "intention",
            {**answers, "hopes": "changed"},
            note_id=saved.ref.note_id,
            expected_version=signed.ref.version,
        )
    with pytest.raises(SignedRecordImmutable):
        tess.put_record(
            patient,
            {"kind": "note", "answers": {}},
            record_id=saved.ref.note_id,
            expected_version=signed.ref.version,
        )
    tampered = {**get_note(tess, saved.ref.note_id).to_record()}
    tampered["answers"] = {**tampered["answers"], "hopes": "forged"}
    assert not verify_content(tess.signing_key_of, tampered, saved.ref.note_id, signed.ref.version)


def test_spravato_note_cannot_be_signed_until_rems_is_complete(clinic: Clinic) -> None:
    tess, patient = _patient(clinic)
    course = synthetic_course(3, start=dt.date(2026, 2, 2))  # seed 3 → esketamine route
    dosing = course.steps[2].answers
    assert dosing["route"] == "esketamine_in"
    incomplete = {k: v for k, v in dosing.items() if k not in ("rems_lot", "rems_ready_minutes")}
    saved = lifecycle.save_draft(tess, patient, "dosing", incomplete)
    with pytest.raises(lifecycle.NotSignable, match="REMS"):
        lifecycle.sign_note(tess, saved.ref.note_id, PASSPHRASES["tess"])


def test_integration_days_since_dosing_and_date_rule(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    course = synthetic_course(3, start=dt.date(2026, 3, 2))
    patient, notes = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    dosing_id, integration_id = notes[2], notes[3]
    details = lifecycle.note_details(tess, integration_id)
    note, computed = details.note, details.derived.computed
    dosing_day = dt.date.fromisoformat(get_note(tess, dosing_id).session_date or "")
    expected = (dt.date.fromisoformat(note.session_date or "") - dosing_day).days
    assert computed["days_since_dosing"] == expected
    assert note.answers["linked_dosing_note_id"] == dosing_id
    early = {**note.answers, "session_date": (dosing_day - dt.timedelta(days=1)).isoformat()}
    saved = lifecycle.save_draft(tess, patient, "integration", early)
    assert any(
        "must not be before the linked dosing date" in m
        for m in saved.assessment.validation.messages()
    )
    context = context_for("integration", early, list_notes(tess, patient))
    assert context["dosing_date"] == dosing_day.isoformat()


def test_addenda_reviews_returns_and_revisions(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    course = synthetic_course(5, start=dt.date(2026, 4, 6))
    patient, notes = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    sam = clinic.unlock("sam")
    queue = {q.note_id for q in review.review_queue(sam)}
    assert set(notes) <= queue
    original = get_note(tess, notes[0]).to_record()
    lifecycle.add_addendum(
        tess, notes[0], "Addendum: synthetic follow-up call.", passphrase=PASSPHRASES["tess"]
    )
    assert get_note(tess, notes[0]).to_record() == original
    review.cosign(sam, notes[0], passphrase=PASSPHRASES["sam"])
    review.return_note(
        sam, notes[1], "Please add the grounding plan detail.", passphrase=PASSPHRASES["sam"]
    )
    revision = lifecycle.revise_note(tess, notes[1])
    lifecycle.sign_note(tess, revision.note_id, PASSPHRASES["tess"])
    views = {v.note.note_id: v for v in chart.chart(tess, patient).notes}
    assert views[notes[0]].status == "cosigned"
    assert [a.text for a in views[notes[0]].addenda] == ["Addendum: synthetic follow-up call."]
    assert views[notes[0]].addenda[0].signature_valid
    assert views[notes[0]].reviews[0].signature_valid
    assert views[notes[1]].status == "superseded"
    assert views[notes[1]].reviews[-1].text == "Please add the grounding plan detail."
    assert views[revision.note_id].status == "signed"
    queue_after = {q.note_id for q in review.review_queue(sam)}
    assert notes[0] not in queue_after
    assert notes[1] not in queue_after
    assert revision.note_id in queue_after
    actions = [r.action for r in clinic.vault.store.audit_rows(patient)]
    assert {"cosign", "return", "sign"} <= set(actions)
    rates = {r.author: r for r in review.cosign_rates(sam)}
    assert rates[tess.user_id].cosigned == 1


def test_process_notes_stay_out_of_supervisor_views(clinic: Clinic) -> None:
    tess, patient = _patient(clinic)
    saved = lifecycle.save_draft(
        tess,
        patient,
        "process-note",
        {"session_datetime": "2026-05-01T10:00", "process_note": "Synthetic process note"},
    )
    lifecycle.sign_note(tess, saved.ref.note_id, PASSPHRASES["tess"])
    assert [v.note.form for v in chart.chart(tess, patient).notes] == []
    assert [v.note.form for v in chart.chart(tess, patient, include_process=True).notes] == [
        "process-note"
    ]
    assert saved.ref.note_id not in {q.note_id for q in review.review_queue(clinic.unlock("sam"))}
