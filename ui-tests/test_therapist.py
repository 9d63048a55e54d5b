"""A therapist's day in the browser: unlock (a wrong passphrase first), the Dosing tile, a dosing
note with vitals rows and live mg/kg, save, sign, addendum — then checked through the REST API."""

from __future__ import annotations

import re

import pytest
from labharness import DEMO_PASSPHRASES, ApiError, LabServer
from labui import (
    Shots,
    WidgetForm,
    click_tile,
    confirm_dialog,
    confirm_with_passphrase,
    current_tab,
    form_in,
    open_lab,
    pick_patient,
    status_item,
    submit_unlock_dialog,
)
from playwright.sync_api import Page, expect

VITALS = [
    {"timepoint": "Before dosing", "systolic": 122, "diastolic": 78, "heart_rate": 71, "spo2": 98},
    {"timepoint": "30 min", "systolic": 141, "diastolic": 88, "heart_rate": 84, "spo2": 97},
]
VITAL_LABELS = {
    "timepoint": "Time point",
    "systolic": "Systolic BP",
    "diastolic": "Diastolic BP",
    "heart_rate": "Heart rate",
    "spo2": "SpO2",
}
DOSE_MG = "62.5"
EXPERIENCE = "Synthetic test narrative: calm, visual imagery, no distress."
ADDENDUM = "Synthetic addendum: patient called next day, feeling well."


def patient_with_weight(lab: LabServer) -> tuple[dict[str, str], float, set[str]]:
    """A demo patient of tess whose preparation note records a weight (asked through the API),
    the weight, and the ids of the patient's notes so far. Leaves the vault locked."""
    lab.unlock("tess")
    try:
        for patient in lab.op("list_patients"):
            context = lab.op("form_context", patient_id=patient["patient_id"], form="dosing")
            if context.get("patient_weight_kg"):
                notes = lab.op("list_notes", patient_id=patient["patient_id"])
                weight = float(context["patient_weight_kg"])
                return patient, weight, {n["note_id"] for n in notes}
    finally:
        lab.api("lock")
    raise AssertionError("no demo patient of tess has a weight in a preparation note")


def test_therapist_unlocks_fills_signs_and_addends_a_dosing_note(
    lab: LabServer, page: Page, shots: Shots
) -> None:
    patient, weight, notes_before = patient_with_weight(lab)

    # Given JupyterLab with a locked vault
    open_lab(page, lab.lab_url())
    expect(status_item(page)).to_have_text("KAP: locked")
    shots("locked")

    # When tess types a wrong passphrase, the dialog shows the server's message; nothing unlocks
    with pytest.raises(ApiError) as refused:
        lab.api("unlock", {"user": "tess", "passphrase": "not-the-passphrase"})
    server_message = refused.value.body["error"]
    status_item(page).click()
    dialog = submit_unlock_dialog(page, "tess", "not-the-passphrase")
    expect(dialog.locator(".kap-UnlockDialog-error")).to_have_text(server_message)
    expect(dialog.get_by_label("User name")).to_have_value("tess")
    shots("wrong-passphrase")
    assert lab.api("status")["unlocked"] is False
    expect(status_item(page)).to_have_text("KAP: locked")

    # And with the right one the status bar names her
    dialog.get_by_label("Passphrase").fill(DEMO_PASSPHRASES["tess"])
    dialog.get_by_role("button", name="Unlock").click()
    expect(dialog).to_be_hidden()
    expect(status_item(page)).to_have_text(re.compile(r"^KAP: tess · locks in \d+ min$"))
    assert lab.api("status")["user"] == "tess"
    shots("unlocked")

    # When she clicks the Dosing tile, a tab opens with the form (no notebook)
    panel = click_tile(page, "Dosing")
    expect(current_tab(page)).to_have_text("Dosing")
    form = form_in(page, panel)
    shots("dosing-tile-opened")

    # And picks a patient whose preparation note has a weight
    pick_patient(page, form, f"{patient['chart_code']} · {patient['name']}")
    expect(form.root.get_by_text("Dosing session (v1.1.0)")).to_be_visible(timeout=60_000)
    fill_dosing_form(form)
    shots("filled")

    # Then mg/kg is computed live from the typed dose and the weight
    expected = round(float(DOSE_MG) / weight, 2)
    expect(form.computed("Dose per kg body weight")).to_have_text(f"{expected:g} mg/kg")

    # When she saves a draft
    form.button("Save draft").click()
    expect(form.root.get_by_text(re.compile(r"^Draft saved"))).to_be_visible(timeout=30_000)
    shots("draft-saved")
    drafts = [
        n for n in _notes_as_tess(lab, patient["patient_id"]) if n["note_id"] not in notes_before
    ]
    assert [(n["form"], n["status"]) for n in drafts] == [("dosing", "draft")]
    note_id = drafts[0]["note_id"]

    # And signs: the form has no passphrase field; JupyterLab's own dialog asks for it, and a
    # wrong one keeps the dialog open with the server's message (the kernel never sees either)
    expect(form.root.locator("input[type=password]")).to_have_count(0)
    form.button("Sign").click()
    expect(form.root.get_by_text(re.compile(r"^Confirm in the JupyterLab dialog"))).to_be_visible()
    code = re.escape(str(patient["chart_code"]))
    question = re.compile(rf"^Sign the dosing note of {code} \(\d{{4}}-\d\d-\d\d\)\?$")
    dialog = confirm_with_passphrase(page, "not-the-passphrase", question)
    expect(dialog.get_by_role("alert")).to_contain_text("wrong passphrase")
    shots("sign-confirm-wrong-passphrase")
    waiting = {n["note_id"]: n["status"] for n in _notes_as_tess(lab, patient["patient_id"])}
    assert waiting[note_id] == "draft"
    confirm_with_passphrase(page, DEMO_PASSPHRASES["tess"], question)
    expect(confirm_dialog(page)).to_be_hidden()
    expect(
        form.root.get_by_text("Signed: read-only; add an addendum for any change")
    ).to_be_visible(timeout=30_000)
    expect(form.button("Save draft")).to_be_disabled()
    expect(form.button("Sign")).to_be_disabled()
    expect(form.row("Dose").locator("input")).to_be_disabled()
    shots("signed")

    # And adds an addendum
    form.type_described("Addendum", ADDENDUM)
    form.button("Add addendum").click()
    confirm_with_passphrase(
        page, DEMO_PASSPHRASES["tess"], re.compile(r"^Add an addendum to the dosing note of ")
    )
    expect(form.root.get_by_text(re.compile(r"^Addendum added"))).to_be_visible(timeout=30_000)
    shots("addendum")

    # Then the REST API has the signed note with exactly the values typed, and the addendum
    listed = {n["note_id"]: n for n in _notes_as_tess(lab, patient["patient_id"])}
    assert listed[note_id]["status"] == "signed"
    assert listed[note_id]["addenda"] == 1
    note = lab.op("get_note", note_id=note_id)
    assert note["signature"] is not None
    answers = note["answers"]
    assert answers["dose_mg"] == float(DOSE_MG)
    assert answers["route"] == "im"
    assert answers["session_datetime"] == "2026-03-02 10:00"
    assert answers["experience"] == EXPERIENCE
    assert [{k: row.get(k) for k in VITAL_LABELS} for row in answers["vitals"]] == VITALS
    assert note["computed"]["dose_mg_per_kg"] == expected


def fill_dosing_form(form: WidgetForm) -> None:
    form.text("Session date and time", "2026-03-02 10:00")
    form.choose("Route", "IM injection")
    form.text("Dose", DOSE_MG)
    form.text("Dosing start", "2026-03-02 10:05")
    form.text("Session end", "2026-03-02 11:35")
    for index, row in enumerate(VITALS):
        form.button("Add vitals row").click()
        expect(form.row("Systolic BP", index)).to_be_visible()
        for key, label in VITAL_LABELS.items():
            form.text(label, str(row[key]), index)
    form.text("Experience", EXPERIENCE)


def _notes_as_tess(lab: LabServer, patient_id: str) -> list[dict[str, object]]:
    """list_notes through the REST API (the browser session is tess's, already unlocked)."""
    status = lab.api("status")
    assert status["unlocked"], status
    assert status["user"] == "tess", status
    notes: list[dict[str, object]] = lab.op("list_notes", patient_id=patient_id)
    return notes
