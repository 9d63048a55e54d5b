"""Make the README screenshots (synthetic demo clinic only) with the ui-tests harness.

Run: .venv/bin/python ui-tests/screenshots.py
  → docs/screenshots/{panel,form,progress,review}.png

- panel: the KAP side panel (a patient's notes with status and actions) beside a note opened
  from it with View;
- form: a dosing form tab opened from the panel's "New dosing session" (live mg/kg);
- progress: a compiled progress notebook from the encrypted kap-vault/ folder;
- review: the supervisor's review queue tab with a note's preview beside the rows.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from labharness import DEMO_PASSPHRASES, LabServer, RunDirs
from labui import (
    current_form,
    first_page,
    form_in,
    kap_panel,
    launch_chromium,
    open_lab,
    open_path,
    status_item,
    unlock,
)
from playwright.sync_api import Locator, Page, expect

from kap_notes.service.demo import create_demo
from kap_notes.vault.crypto import FAST_KDF

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
VIEWPORT = {"width": 1440, "height": 860}
NAMES = ("panel", "form", "progress", "review")


def weighed_patient(lab: LabServer) -> dict[str, Any]:
    """A demo patient of tess whose preparation note has a weight (the form shows mg/kg)."""
    for patient in lab.op("list_patients"):
        context = lab.op("form_context", patient_id=patient["patient_id"], form="dosing")
        if context.get("patient_weight_kg"):
            return dict(patient)
    raise AssertionError("no demo patient with a weight")


def open_patient(page: Page, patient: dict[str, Any]) -> Locator:
    panel = kap_panel(page)
    back = panel.get_by_role("button", name="Back to patients and My day")
    if back.is_visible():
        back.click()
    panel.get_by_label("Find a patient").fill(patient["chart_code"])
    hit = panel.locator(".kap-Panel-results .kap-Panel-patientButton")
    expect(hit).to_have_count(1)
    hit.click()
    section = panel.locator(".kap-Panel-patient")
    expect(section.locator(".kap-Note").first).to_be_visible()
    return section


def toggle_panel(page: Page) -> None:
    page.locator('.jp-SideBar li[data-id="kap-notes-panel"]').click()


def panel_shot(page: Page, lab: LabServer, patient: dict[str, Any]) -> None:
    section = open_patient(page, patient)
    view = section.get_by_role("button", name=re.compile(r"^View: .*Dosing session$")).first
    view.click()
    expect(page.locator(".kap-NoteView:visible .kap-preview-title")).to_be_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=str(OUT / "panel.png"))


def form_shot(page: Page, lab: LabServer, patient: dict[str, Any]) -> None:
    section = open_patient(page, patient)
    section.get_by_role("button", name="New dosing session").click()
    form = form_in(page, current_form(page))
    expect(form.root.get_by_text("Dosing session (v1.1.0)")).to_be_visible(timeout=60_000)
    toggle_panel(page)  # room for the form
    form.text("Session date and time", "2026-03-02 10:00")
    form.text("Dosing session number", "3")
    form.choose("Phase", "Induction")
    form.text("Clinicians present", "Dr. Sample (synthetic), RN Example")
    form.choose("Route", "IM injection")
    form.text("Product", "Ketamine HCl injection")
    form.text("Strength", "50 mg/mL")
    form.text("Dose", "46")
    expect(form.computed("Dose per kg body weight")).to_have_text(re.compile(r"mg/kg$"))
    form.toggle("Booster dose given", "No")
    heading = form.root.get_by_text("Dosing session (v1.1.0)")
    heading.evaluate("e => e.scrollIntoView({block: 'start'})")  # the form, not the picker
    page.wait_for_timeout(800)
    page.screenshot(path=str(OUT / "form.png"))
    form.button("Discard draft").click()  # leave the demo clinic as it was
    form.button("Yes, discard").click()
    toggle_panel(page)


def progress_shot(page: Page, lab: LabServer, patient: dict[str, Any]) -> None:
    compiled = lab.op("compile_patient", patient_id=patient["patient_id"])
    notebook = open_path(page, lab.url, lab.token, compiled["path"])
    image = notebook.locator(".jp-RenderedImage img").first
    expect(image).to_be_visible(timeout=60_000)
    notebook.locator(".jp-RenderedMarkdown h2").first.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    page.screenshot(path=str(OUT / "progress.png"))


def review_shot(page: Page, lab: LabServer) -> None:
    lab.api("lock")
    open_lab(page, lab.lab_url("lab/workspaces/review?reset"))
    expect(status_item(page)).to_have_text("KAP: locked")
    unlock(page, "sam", DEMO_PASSPHRASES["sam"])
    panel = kap_panel(page)
    panel.get_by_role("button", name="Open the review queue").click()
    toggle_panel(page)  # room for the rows and the preview
    queue = page.locator(".kap-Queue")
    rows = queue.locator("table.kap-Queue-table tbody tr")
    expect(rows).not_to_have_count(0)
    row = rows.filter(has_text="Dosing session").first
    row.locator("td").first.click()  # the row itself: no scrolling to a button
    expect(queue.locator(".kap-Queue-preview .kap-preview-title")).to_be_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=str(OUT / "review.png"))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    dirs = RunDirs.create(prefix="kap-shots-")
    create_demo(dirs.vault, kdf=FAST_KDF, kdf_floor=FAST_KDF)
    settings = dirs.config / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    lab = LabServer(dirs)
    lab.start()
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415

        with sync_playwright() as pw:
            context = launch_chromium(pw, dirs)
            page = first_page(context)
            open_lab(page, lab.lab_url())
            unlock(page, "tess", DEMO_PASSPHRASES["tess"])
            patient = weighed_patient(lab)
            panel_shot(page, lab, patient)
            form_shot(page, lab, patient)
            progress_shot(page, lab, patient)
            review_shot(page, lab)
            context.close()
    finally:
        lab.close()
        shutil.rmtree(dirs.base, ignore_errors=True)
    for name in NAMES:
        path = OUT / f"{name}.png"
        print(f"{path} {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
