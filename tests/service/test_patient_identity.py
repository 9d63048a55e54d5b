"""One patient identity (real vault, real encryption): created once with demographics and a
generated chart code that is returned; forms show it and no longer ask for it; the PDF cover
uses the record's date of birth. And the dated list an integration links its dosing note from."""

from __future__ import annotations

import re
from typing import Any

from kap_notes.export import export_record_pdf
from kap_notes.forms import get_template, validate
from kap_notes.service import lifecycle, operations, patients
from kap_notes.vault.session import Session
from kap_notes.widgets import FormView
from tests.conftest import PASSPHRASES, Clinic
from tests.export.conftest import open_pdf, page_texts
from tests.forms.helpers import dosing_answers, preparation_answers

GENERATED = re.compile(r"KAP-[A-HJ-NP-Z2-9]{6}")
DEMOGRAPHICS = {
    "name": "Synthetic Identity",
    "date_of_birth": "1979-04-05",
    "sex": "female",
    "contact": "synthetic@example.org",
}


def register(session: Session) -> dict[str, str]:
    created = operations.run(session, "add_patient", {"data": DEMOGRAPHICS})
    assert isinstance(created, dict)
    return created


def test_create_patient_once_generates_the_chart_code_and_returns_it(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    created = register(tess)
    assert GENERATED.fullmatch(created["chart_code"])
    stored = patients.show_patient(tess, created["patient_id"])
    assert (stored.chart_code, stored.name, stored.date_of_birth, stored.sex, stored.contact) == (
        created["chart_code"],
        *DEMOGRAPHICS.values(),
    )


def test_forms_show_the_identity_and_preparation_no_longer_asks_for_it(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    created = register(tess)
    context = operations.run(
        tess, "form_context", {"patient_id": created["patient_id"], "form": "preparation"}
    )
    shown = {k: v for k, v in DEMOGRAPHICS.items() if k != "contact"}
    assert context["patient"] == {**created, **shown}  # id, chart code, name, birth date, sex
    preparation = get_template("preparation")
    assert preparation.version == "1.2.0"
    for asked_again in ("chart_code", "patient_name", "date_of_birth", "sex", "contact"):
        assert preparation.find(asked_again) is None
    view = FormView(preparation, None, context)
    assert created["chart_code"] in view.identity.value
    assert "1979-04-05" in view.identity.value
    # a complete preparation note needs nothing about who the patient is
    answers = preparation_answers()
    assert validate(preparation, answers, context).ok
    saved = lifecycle.save_draft(tess, created["patient_id"], "preparation", answers)
    assert not [i for i in saved.assessment.validation.issues if i.kind == "unknown"]


def test_old_preparation_notes_with_their_own_copy_stay_readable() -> None:
    old = get_template("preparation", "1.1.0")
    answers = preparation_answers() | {"chart_code": "KAP-OLD", "date_of_birth": "1980-01-01"}
    assert old.find("date_of_birth") is not None
    assert validate(old, answers).ok


def test_the_pdf_cover_shows_the_date_of_birth_of_the_record(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    created = register(tess)
    saved = lifecycle.save_draft(tess, created["patient_id"], "preparation", preparation_answers())
    lifecycle.sign_note(tess, saved.ref.note_id, PASSPHRASES["tess"])
    export = export_record_pdf(tess, created["patient_id"])
    cover = " ".join(page_texts(open_pdf(export.pdf, export.passphrase))[0].split())
    assert "1979-04-05" in cover
    assert created["chart_code"] in cover


def _dosing(session: Session, patient: str, day: str, *, sign: bool) -> str:
    answers: dict[str, Any] = dosing_answers()
    answers["session_datetime"] = f"{day} 09:00"
    for key in ("start_time", "end_time", "onset_time", "peak_time", "baseline_time"):
        if key in answers:
            answers[key] = f"{day} {answers[key][11:]}"
    saved = lifecycle.save_draft(session, patient, "dosing", answers)
    if sign:
        lifecycle.sign_note(session, saved.ref.note_id, PASSPHRASES["tess"])
    return saved.ref.note_id


def test_integration_links_a_signed_dosing_note_chosen_from_a_dated_list(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = register(tess)["patient_id"]
    early = _dosing(tess, patient, "2024-03-01", sign=True)
    later = _dosing(tess, patient, "2024-03-08", sign=True)
    _dosing(tess, patient, "2024-03-10", sign=False)  # a draft is never linked
    listed = operations.run(tess, "dosing_choices", {"patient_id": patient})
    assert [c["note_id"] for c in listed] == [early, later]
    assert listed[0]["label"].startswith("2024-03-01 09:00 · Dosing session")
    assert listed[0]["context"] == {"dosing_note_id": early, "dosing_date": "2024-03-01"}
    context = operations.run(tess, "form_context", {"patient_id": patient, "form": "integration"})
    assert context["note_choices"] == {"dosing_note_id": listed}
    view = FormView(get_template("integration"), {"session_date": "2024-03-04"}, context)
    assert view.value["linked_dosing_note_id"] == early  # the latest on or before 03-04
    assert view.computed["days_since_dosing"] == 3
