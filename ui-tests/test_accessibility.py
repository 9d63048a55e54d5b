"""Accessibility (issue 11 deliver 7, issue 13 item 6): axe-core 4.14 (the npm package, injected)
finds no critical or serious violation in kap-notes' own elements — the dosing form (with its
errors showing), the KAP panel, the review queue, a note's view tab, the unlock and co-sign
dialogs, and the form, panel, queue and note view again in JupyterLab's dark theme — and the
form's controls carry real labels, ``aria-required``, ``aria-pressed``, ``aria-invalid`` +
``aria-describedby`` and a polite live region for save and sign results.

axe-core comes from labextension's devDependency (pinned in yarn.lock) rather than PyPI's
axe-playwright-python: the same engine the issue measured with, any Playwright API (a script
tag), no extra Python dependency."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe import assert_no_blocking
from labharness import DEMO_PASSPHRASES, LabServer
from labui import (
    Shots,
    click_tile,
    confirm_dialog,
    form_in,
    open_lab,
    pick_patient,
    run_command,
    status_item,
    submit_unlock_dialog,
)
from playwright.sync_api import Page, expect

FORM = ".kap-FormPanel"
PANEL = "#kap-notes-panel"
QUEUE = ".kap-Queue"
NOTE = ".kap-NoteView"


@pytest.fixture
def lab_options() -> dict[str, Any]:
    return {"extra_args": ("--LabApp.expose_app_in_browser=True",)}


def test_form_panel_and_queue_have_no_serious_axe_violations(
    lab: LabServer, page: Page, shots: Shots
) -> None:
    lab.unlock("tess")
    patient = lab.op("list_patients")[0]
    open_lab(page, lab.lab_url())
    expect(status_item(page)).to_have_text(re.compile(r"^KAP: tess"))

    # The dosing form, filled a little, then with every problem showing after a Sign attempt
    form = form_in(page, click_tile(page, "Dosing"))
    pick_patient(page, form, f"{patient['chart_code']} · {patient['name']}")
    expect(form.root.get_by_text("Dosing session (v1.1.0)")).to_be_visible(timeout=60_000)
    dose = form.text("Dose", "abc")  # not a number: an inline error while typing
    form.toggle("Vitals acceptable at discharge", "Yes")
    form.button("Save draft").click()
    live = form.root.locator(".kap-live")
    expect(live).to_have_text(re.compile(r"^Draft saved"), timeout=30_000)
    expect(live).to_have_attribute("role", "status")
    expect(live).to_have_attribute("aria-live", "polite")
    form.button("Sign").click()
    expect(live).to_have_text(re.compile(r"^Cannot sign yet"))
    page.wait_for_timeout(500)  # the a11y module applies attributes on the next frame
    shots("dosing-errors")
    assert_no_blocking(page, "the dosing form", FORM)

    # Real labels: every control is named by the field's visible label
    expect(dose).to_have_accessible_name("Dose (mg)")  # the star is for the eye only
    expect(dose).to_have_attribute("aria-required", "true")
    expect(dose).to_have_attribute("aria-invalid", "true")
    described = dose.get_attribute("aria-describedby") or ""
    messages = page.locator(f"[id='{described.split()[0]}']") if described else None
    assert messages is not None, "the invalid dose names no description"
    expect(messages).to_contain_text("number")
    experience = form.row("Experience").locator("textarea")
    expect(experience).to_have_accessible_name("Experience")
    expect(experience).not_to_have_attribute("aria-required", "true")
    # Yes/No toggles say which one is pressed
    toggles = form.row("Vitals acceptable at discharge").locator("button")
    expect(toggles.filter(has_text="Yes")).to_have_attribute("aria-pressed", "true")
    expect(toggles.filter(has_text="No")).to_have_attribute("aria-pressed", "false")
    # fixing the error clears aria-invalid
    form.text("Dose", "62.5")
    expect(dose).not_to_have_attribute("aria-invalid", "true")

    # The KAP panel: My day, a search and a patient's notes
    panel = page.locator(PANEL)
    if not panel.is_visible():
        page.locator('.jp-SideBar li[data-id="kap-notes-panel"]').click()
    expect(panel.locator(".kap-Panel-day")).to_be_visible()
    assert_no_blocking(page, "the KAP panel (My day)", PANEL)
    panel.get_by_label("Find a patient").fill(patient["name"].split()[0][:4].lower())
    hit = panel.locator(".kap-Panel-results").get_by_role("button").first
    expect(hit).to_be_visible()
    hit.click()
    expect(panel.locator(".kap-Panel-patient .kap-Note")).not_to_have_count(0)
    shots("panel-patient")
    assert_no_blocking(page, "the KAP panel (a patient's notes)", PANEL)
    # A note, read-only, in its own tab (the panel's View)
    panel.get_by_role("button", name=re.compile(r"^View: ")).first.click()
    expect(page.locator(f"{NOTE} .kap-preview-title")).to_be_visible()
    assert_no_blocking(page, "the note view", NOTE)

    # The review queue as sam, a preview beside the row
    status_item(page).click()  # lock
    expect(status_item(page)).to_have_text("KAP: locked")
    status_item(page).click()
    unlock_dialog = page.locator(".jp-Dialog").filter(has=page.locator(".kap-UnlockDialog"))
    expect(unlock_dialog).to_be_visible()
    assert_no_blocking(page, "the unlock dialog", ".kap-UnlockDialog")
    submit_unlock_dialog(page, "sam", DEMO_PASSPHRASES["sam"])
    expect(unlock_dialog).to_be_hidden()
    expect(status_item(page)).to_have_text(re.compile(r"^KAP: sam"))
    if not panel.is_visible():
        page.locator('.jp-SideBar li[data-id="kap-notes-panel"]').click()
    panel.get_by_role("button", name="Open the review queue").click()
    queue = page.locator(QUEUE)
    rows = queue.locator("table.kap-Queue-table tbody tr")
    expect(rows).not_to_have_count(0)
    rows.first.get_by_role("button", name=re.compile(r"^Preview ")).click()
    expect(queue.locator(".kap-Queue-preview .kap-preview-title")).to_be_visible()
    shots("queue-preview")
    assert_no_blocking(page, "the review queue", QUEUE)

    # The co-sign confirmation (re-authentication) dialog; Escape leaves the note waiting
    queue.get_by_role("button", name=re.compile(r"^Co-sign ")).click()
    confirm = confirm_dialog(page)
    expect(confirm.get_by_label("Passphrase")).to_be_focused()
    assert_no_blocking(page, "the co-sign dialog", ".kap-ConfirmDialog")
    page.keyboard.press("Escape")
    expect(confirm).to_be_hidden()

    # The same in JupyterLab's dark theme: the queue, the panel, the note view and the form
    run_command(page, "apputils:change-theme", {"theme": "JupyterLab Dark"})
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false", timeout=30_000)
    page.wait_for_timeout(500)  # the theme's stylesheet applied
    shots("queue-dark")
    assert_no_blocking(page, "the review queue (dark theme)", QUEUE)
    assert_no_blocking(page, "the KAP panel (dark theme)", PANEL)
    for name, tab in (("the note view", "kap-note-tab-"), ("the dosing form", "kap-form-tab-")):
        page.locator(f'#jp-main-dock-panel .lm-TabBar-tab[data-id^="{tab}"]').click()
        shown = page.locator(f'[id^="{tab}"]')
        expect(shown.locator(f"{NOTE}, {FORM}")).to_be_visible()
        shots(f"{tab}dark")
        assert_no_blocking(page, f"{name} (dark theme)", f'[id^="{tab}"]')
