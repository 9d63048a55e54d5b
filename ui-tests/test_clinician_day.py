"""Issue 11 "Done when": a therapist's and a supervisor's day in the browser, with no terminal and
no Python on screen — only the KAP panel, launcher tiles, form tabs and JupyterLab's dialogs.

Therapist (tess): creates a new patient from the Preparation tile and signs the preparation; starts
a dosing note from the panel, reloads the page mid-form (the form comes back with what was typed),
closes it, continues the draft from My day and signs it; starts the integration My day says is
due (linked to that dosing session by default) and signs it.
Supervisor (sam): finds the patient's notes in the review queue (filtered by therapist), previews
the dosing note (readable values, no ids), co-signs it and returns the integration with a comment.
Therapist, "a day later": the next day is simulated by locking, reloading the page and unlocking
again (no clock tricks: nothing in these steps depends on the date). Tess adds an addendum to the
co-signed dosing note from the panel and revises the returned integration from My day.

The REST API is read only to check what a clinician would be told (statuses, saved values).
"""

from __future__ import annotations

import re

from labharness import DEMO_PASSPHRASES, LabServer
from labui import (
    Shots,
    WidgetForm,
    click_tile,
    confirm_dialog,
    confirm_with_passphrase,
    current_form,
    current_tab,
    form_in,
    kap_panel,
    open_lab,
    reload,
    status_item,
    unlock,
)
from playwright.sync_api import Locator, Page, expect

from kap_notes.forms import get_template

TESS, SAM = "Tess Taylor, LCSW", "sam"
NAME = "Synthetic Robin Daywalker"
BORN = "1986-04-23"
WEIGHT, DOSE = "70", "52.5"  # → 0.75 mg/kg
EXPERIENCE = "Synthetic: calm, some visual imagery, no distress."
THEMES = "Synthetic: grief about a move; wish to reconnect with a sibling."
INSIGHTS = "Synthetic: notices how often she apologises."
COMMENT = "Synthetic: please add what the homework is for."
REVISED = "Synthetic: reach out to the sibling once this week, to practise asking."
ADDENDUM = "Synthetic addendum: patient called the next day, slept well, no after-effects."
#: What a clinician must never see: code cells, editors, terminals and the Python behind forms.
CODE_PARTS = ".jp-CodeCell, .jp-InputArea, .cm-editor, .jp-Notebook, .jp-Terminal, .jp-ConsolePanel"
PYTHON_TEXT = ("open_form(", "api.show", "import ", "kap_notes.", "Traceback")


def test_a_therapists_and_a_supervisors_day(lab: LabServer, page: Page, shots: Shots) -> None:
    open_lab(page, lab.lab_url())
    unlock(page, "tess", DEMO_PASSPHRASES["tess"])
    panel = kap_panel(page)
    today = _today(panel)

    # -- Therapist: a new patient, created once, from the Preparation tile ---------------------
    form = form_in(page, click_tile(page, "Preparation"))
    form.type_described("Name", NAME)
    form.type_described("Date of birth", BORN)
    form.button("Create patient").click()
    created = form.root.get_by_text(re.compile(rf"^Created {NAME}: chart code KAP-\w+$"))
    expect(created).to_be_visible(timeout=30_000)
    code = created.inner_text().rsplit(" ", 1)[1]
    identity = f"Chart code {code} · Name {NAME} · Date of birth {BORN}"
    expect(form.root.get_by_text(re.compile(re.escape(identity)))).to_be_visible(timeout=60_000)
    expect(form.root.get_by_label("Name", exact=True)).to_have_value("")  # asked once, not again
    fill_preparation(form)
    shots("preparation-filled")
    sign(page, form, rf"^Sign the preparation note of {code} \({today}\)\?$")
    shots("preparation-signed")
    close_tab(page)

    # The panel finds the patient by part of the name; the preparation shows as Signed
    patient = find_patient(page, panel, NAME.rsplit(maxsplit=1)[-1][:6].lower(), code)
    expect(_note(patient, "Preparation session")).to_contain_text("Signed")
    (pid,) = [p["patient_id"] for p in lab.op("find_patients", query=code)]

    # -- Dosing from the panel; reload mid-form; the form comes back with what was typed ---------
    patient.get_by_role("button", name="New dosing session").click()
    form = form_in(page, current_form(page))
    expect(current_tab(page)).to_have_text("Dosing")
    expect(form.root.get_by_text(re.compile(re.escape(identity)))).to_be_visible(timeout=60_000)
    assert_identity_only(form)  # chosen in the panel: not asked again
    form.text("Session date and time", f"{today} 09:00")
    form.choose("Route", "IM injection")
    form.text("Dose", DOSE)
    form.text("Experience", EXPERIENCE)
    expect(form.computed("Dose per kg body weight")).to_have_text("0.75 mg/kg")
    expect(form.root.get_by_text(re.compile(r"^Draft saved"))).to_be_visible(timeout=30_000)
    form.row("Themes for integration").locator("textarea").fill(THEMES)  # still focused
    page.wait_for_timeout(1500)  # a pause in typing: the field reaches the kernel
    page.reload()
    form = form_in(page, current_form(page))
    expect(form.row("Experience").locator("textarea")).to_have_value(EXPERIENCE)
    expect(form.row("Themes for integration").locator("textarea")).to_have_value(THEMES)
    expect(form.row("Dose").locator("input")).to_have_value(DOSE)
    shots("dosing-after-reload")
    close_tab(page)  # saves what changed; the kernel ends

    # My day lists the draft to finish (the panel refreshed itself); Continue opens it
    panel = kap_panel(page)
    drafts = panel.locator(".kap-Day-drafts")
    drafts.get_by_role("button", name=re.compile(rf"^Continue: {NAME} · {code}, ")).click()
    form = form_in(page, current_form(page))
    expect(form.row("Themes for integration").locator("textarea")).to_have_value(THEMES)
    form.text("Dosing start", f"{today} 09:05")
    form.text("Session end", f"{today} 10:35")
    form.button("Add vitals row").click()
    for label, value in (("Time point", "Before dosing"), ("Systolic BP", "124")):
        form.text(label, value)
    for label, value in (("Diastolic BP", "79"), ("Heart rate", "72"), ("SpO2", "98")):
        form.text(label, value)
    sign(page, form, rf"^Sign the dosing note of {code} \({today}\)\?$")
    shots("dosing-signed")
    close_tab(page)
    (dosing,) = [n for n in lab.op("list_notes", patient_id=pid) if n["form"] == "dosing"]
    assert dosing["status"] == "signed"

    # -- Integration: My day says it is due (no Refresh click: the panel followed the signing) ----
    due = panel.locator(".kap-Day-integrations .kap-Day-item").filter(has_text=code)
    expect(due).to_contain_text(f"Dosing session {today}: integration due by")
    due.get_by_role("button", name=re.compile(r"^New integration: ")).click()
    form = form_in(page, current_form(page))
    expect(current_tab(page)).to_have_text("Integration")
    expect(form.root.get_by_text(re.compile(re.escape(identity)))).to_be_visible(timeout=60_000)
    assert_identity_only(form)
    linked = form.row("Linked dosing note").locator("select")
    expect(linked.locator("option:checked")).to_contain_text(today)
    expect(form.computed("Days since dosing")).to_have_text(re.compile(r"^0 days?$"))
    form.text("Session date", today)
    form.text("Insights", INSIGHTS)
    form.button("Add homework row").click()
    form.text("Goal", "Synthetic: reach out to the sibling")
    form.choose("Recommended next step", "Continue course")
    sign(page, form, rf"^Sign the integration note of {code} \({today}\)\?$")
    shots("integration-signed")
    close_tab(page)

    # The patient's notes say what happened; nothing is due any more for this patient
    expect(panel.locator(".kap-Day-integrations").filter(has_text=code)).to_have_count(0)
    expect(panel.locator(".kap-Day-drafts").filter(has_text=code)).to_have_count(0)
    patient = find_patient(page, panel, code, code)
    for title in ("Preparation session", "Dosing session", "Integration session"):
        expect(_note(patient, title)).to_contain_text("Signed")
    shots("therapist-day-1")
    assert_no_code_on_screen(page, lab)

    # -- Supervisor: the patient's notes in the queue; preview, co-sign, return --------------------
    status_item(page).click()  # lock
    unlock(page, "sam", DEMO_PASSPHRASES["sam"])
    panel = kap_panel(page)
    panel.get_by_role("button", name="Open the review queue").click()
    queue = page.locator(".kap-Queue")
    table = queue.locator("table.kap-Queue-table")
    queue.get_by_label("Therapist").select_option(label=TESS)
    rows = table.locator("tbody tr").filter(has_text=code)
    expect(rows).to_have_count(3)  # preparation, dosing, integration
    row = rows.filter(has_text="Dosing session")
    expect(row.locator("td").nth(0)).to_have_text(NAME)
    expect(row.locator("td").nth(2)).to_have_text(TESS)
    expect(row.locator("td").nth(4)).to_have_text(re.compile(rf"^{today}"))
    row.get_by_role("button", name=re.compile(r"^Preview ")).click()
    preview = queue.locator(".kap-Queue-preview")
    expect(preview).to_contain_text(f"{NAME} · {code}")
    expect(preview.locator(".kap-preview-title")).to_contain_text("Dosing session")
    for shown in ("IM injection", f"{DOSE} mg", "0.75 mg/kg", EXPERIENCE, f"Signed by {TESS}"):
        expect(preview).to_contain_text(shown)
    assert not re.search(r"\b(rec|pt)_\w+|dose_mg|\{'", preview.inner_text())  # no keys or ids
    shots("queue-preview")
    queue.get_by_role("button", name=re.compile(r"^Co-sign ")).click()
    confirm_with_passphrase(
        page, DEMO_PASSPHRASES["sam"], f"Co-sign the dosing note of {code} ({today})?"
    )
    expect(confirm_dialog(page)).to_be_hidden()
    expect(rows).to_have_count(2)

    rows.filter(has_text="Integration session").get_by_role(
        "button", name=re.compile(r"^Preview ")
    ).click()
    expect(preview.locator(".kap-preview-title")).to_contain_text("Integration session")
    expect(preview).to_contain_text(INSIGHTS)
    queue.get_by_role("button", name=re.compile(r"^Return ")).click()
    dialog = confirm_dialog(page)
    expect(dialog).to_contain_text(f"Return the integration note of {code}")
    dialog.locator(".kap-ConfirmDialog-text").fill(COMMENT)
    confirm_with_passphrase(page, DEMO_PASSPHRASES["sam"])
    expect(dialog).to_be_hidden()
    expect(rows).to_have_count(1)
    shots("supervisor-day")
    statuses = {n["form"]: n["status"] for n in lab.op("list_notes", patient_id=pid)}
    assert statuses == {"preparation": "signed", "dosing": "cosigned", "integration": "returned"}
    assert_no_code_on_screen(page, lab)

    # -- Therapist, a day later (lock, reload, unlock): addendum, then revise the returned note ----
    status_item(page).click()  # lock
    expect(status_item(page)).to_have_text("KAP: locked")
    reload(page)  # the next morning: a fresh page (settled: its layout took the focus)
    expect(status_item(page)).to_have_text("KAP: locked", timeout=60_000)
    unlock(page, "tess", DEMO_PASSPHRASES["tess"])
    panel = kap_panel(page)
    patient = find_patient(page, panel, code, code)
    dosing_row = _note(patient, "Dosing session")
    expect(dosing_row).to_contain_text("Co-signed")
    dosing_row.get_by_role("button", name=re.compile(r"^Add addendum: ")).click()
    dialog = confirm_dialog(page)
    expect(dialog).to_contain_text(f"Add an addendum to the dosing note of {code}")
    dialog.locator(".kap-ConfirmDialog-text").fill(ADDENDUM)
    # Something outside the dialog takes the focus half-way through the passphrase (as
    # JupyterLab's activation of a main-area tab did, about a second after an unlock): the rest
    # is typed where the user was, never into the addendum in clear text
    passphrase = dialog.get_by_label("Passphrase")
    half = len(DEMO_PASSPHRASES["tess"]) // 2
    passphrase.press_sequentially(DEMO_PASSPHRASES["tess"][:half])
    page.evaluate(FOCUS_OUTSIDE)
    page.keyboard.type(DEMO_PASSPHRASES["tess"][half:])
    expect(passphrase).to_have_value(DEMO_PASSPHRASES["tess"])
    expect(dialog.locator(".kap-ConfirmDialog-text")).to_have_value(ADDENDUM)
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    expect(dialog).to_be_hidden()
    expect(_note(patient, "Dosing session")).to_contain_text("1 addendum")
    _note(patient, "Dosing session").get_by_role("button", name=re.compile(r"^View: ")).click()
    view = page.locator(".kap-NoteView:visible")
    expect(view).to_contain_text(ADDENDUM)
    expect(view).to_contain_text("Co-signed by")
    shots("addendum")

    patient.get_by_role("button", name="Back to patients and My day").click()
    returned = panel.locator(".kap-Day-returned .kap-Day-item").filter(has_text=code)
    expect(returned).to_contain_text(COMMENT)
    returned.get_by_role("button", name=re.compile(r"^Revise: ")).click()
    form = form_in(page, current_form(page))
    expect(
        form.root.get_by_text(re.compile(rf"The supervisor asked: {re.escape(COMMENT)}"))
    ).to_be_visible()
    expect(form.row("Insights").locator("textarea")).to_have_value(INSIGHTS)
    form.text("Homework", REVISED)
    sign(page, form, rf"^Sign the integration note of {code} \({today}\)\?$")
    shots("revision-signed")
    close_tab(page)
    expect(panel.locator(".kap-Day-returned").filter(has_text=code)).to_have_count(0)
    patient = find_patient(page, panel, code, code)
    expect(_note(patient, "Integration session").first).to_contain_text("Signed")
    notes = lab.op("list_notes", patient_id=pid)
    integrations = sorted(n["status"] for n in notes if n["form"] == "integration")
    assert integrations == ["signed", "superseded"], notes
    shots("therapist-day-2")
    assert_no_code_on_screen(page, lab)


# -- steps ------------------------------------------------------------------------------------
def fill_preparation(form: WidgetForm) -> None:
    """Every required field of the preparation form, as a clinician would (synthetic answers)."""
    form.row("Indication").get_by_label("Treatment-resistant depression").check()
    for label in (
        "History of psychosis",
        "History of mania or bipolar disorder",
        "Substance use disorder",
        "PTSD",
        "Hypertension",
        "Aneurysmal vascular disease, AVM or intracerebral haemorrhage",
        "Heart disease",
        "Pregnant or breastfeeding",
    ):
        form.toggle(label, "No")
    form.text("Weight", WEIGHT)
    form.text("Baseline systolic BP", "122")
    form.text("Baseline diastolic BP", "78")
    form.text("Baseline heart rate", "70")
    preparation = get_template("preparation")
    for name in ("phq9", "gad7"):
        instrument = preparation.instrument_for(preparation.find(name))
        for item in instrument.items:
            if item.required:
                form.choose(item.text, "Not at all")
    form.choose("C-SSRS screener risk level", "No risk identified (all items no)")
    form.text("Consent document version", "Synthetic consent v3")
    form.row("Consent signed at").get_by_role("button", name="Now").click()
    form.row("Routes consented").get_by_label("IM injection").check()
    for risk in ("Dissociation", "Blood pressure rise", "Nausea"):
        form.row("Risks discussed").get_by_label(risk).check()
    form.choose("Touch consent", "Consents to supportive touch")
    form.toggle("Fasting instructions acknowledged", "Yes")
    form.text("Escort / transport plan", "Synthetic: partner drives home")


def assert_identity_only(form: WidgetForm) -> None:
    """A note started for a known patient: the identity header, no picker, no New patient."""
    expect(form.root.locator(".kap-identity")).to_have_count(1)
    expect(form.root.get_by_role("combobox", name="Patient", exact=True)).to_have_count(0)
    expect(form.root.get_by_role("button", name="Create patient")).to_have_count(0)
    expect(form.root.get_by_text(re.compile(r"^New patient"))).to_have_count(0)


def sign(page: Page, form: WidgetForm, question: str) -> None:
    """Sign in JupyterLab's passphrase dialog; the form turns read-only."""
    expect(form.root.get_by_text("Click to show javascript error.")).to_have_count(0)
    form.button("Sign").click()
    confirm_with_passphrase(page, DEMO_PASSPHRASES["tess"], re.compile(question))
    expect(confirm_dialog(page)).to_be_hidden()
    expect(
        form.root.get_by_text("Signed: read-only; add an addendum for any change")
    ).to_be_visible(timeout=30_000)


def close_tab(page: Page) -> None:
    current_tab(page).locator(".lm-TabBar-tabCloseIcon").click()
    expect(page.locator(".kap-FormPanel:visible")).to_have_count(0, timeout=30_000)


#: Focus a button outside every dialog, as a widget activated in the background does.
FOCUS_OUTSIDE = """() => {
  const outside = document.createElement('button');
  outside.className = 'kap-test-outside';
  document.body.append(outside);
  outside.focus();
}"""


def find_patient(page: Page, panel: Locator, query: str, code: str) -> Locator:
    """Search the panel and open the one patient found; answers the patient's section."""
    back = panel.get_by_role("button", name="Back to patients and My day")
    if back.is_visible():
        back.click()
    panel.get_by_label("Find a patient").fill(query)
    hits = panel.locator(".kap-Panel-results .kap-Panel-patientButton")
    expect(hits).to_have_count(1)
    expect(hits).to_contain_text(f"{NAME} · {code} · born {BORN}")
    hits.click()
    section = panel.locator(".kap-Panel-patient")
    expect(section.get_by_role("heading", name=NAME)).to_be_visible()
    return section


def _note(patient: Locator, title: str) -> Locator:
    return patient.locator(".kap-Note").filter(has_text=title)


def _today(panel: Locator) -> str:
    heading = panel.get_by_role("heading", name=re.compile(r"^My day \(\d{4}-\d\d-\d\d\)$"))
    expect(heading).to_be_visible()
    return heading.inner_text()[8:18]


def assert_no_code_on_screen(page: Page, lab: LabServer) -> None:
    """No cell, editor, console or terminal; no Python text; no notebook or terminal behind."""
    expect(page.locator(CODE_PARTS)).to_have_count(0)
    expect(page.get_by_text("Click to show javascript error.")).to_have_count(0)
    text = page.locator("body").inner_text()
    assert not [t for t in PYTHON_TEXT if t in text], [t for t in PYTHON_TEXT if t in text]
    assert lab.http.get("/api/terminals").json() == []
    listing = lab.http.get("/api/contents/").json()["content"]
    assert [i["name"] for i in listing if i["type"] == "notebook"] == []
