"""Make the README screenshots (synthetic demo clinic only) with the ui-tests harness.

Run: .venv/bin/python ui-tests/screenshots.py   → docs/screenshots/{form,progress,review}.png
"""

from __future__ import annotations

import shutil
from pathlib import Path

from labharness import DEMO_PASSPHRASES, LabServer, RunDirs
from labui import (
    CHROMIUM,
    CHROMIUM_ARGS,
    click_tile,
    form_in,
    open_lab,
    open_path,
    pick_patient,
    unlock,
)
from playwright.sync_api import Page, expect

from kap_notes.service.demo import create_demo
from kap_notes.vault.crypto import FAST_KDF

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}


def form_shot(page: Page, lab: LabServer) -> None:
    unlock(page, "tess", DEMO_PASSPHRASES["tess"])
    lab.unlock("tess")
    patient = lab.op("list_patients")[0]
    form = form_in(page, click_tile(page, "Dosing"))
    pick_patient(page, form, f"{patient['chart_code']} · {patient['name']}")
    expect(form.root.get_by_text("Dosing session (v1.1.0)")).to_be_visible(timeout=60_000)
    form.text("Session date and time", "2026-03-02 10:00")
    form.text("Dosing session number", "3")
    form.choose("Phase", "Induction")
    form.text("Clinicians present", "Dr. Sample (synthetic), RN Example")
    form.choose("Route", "IM injection")
    form.text("Product", "Ketamine HCl injection")
    form.text("Strength", "50 mg/mL")
    form.text("Dose", "46")
    form.toggle("Booster dose given", "No")
    form.row("Session date and time").scroll_into_view_if_needed()
    page.mouse.wheel(0, 260)
    page.wait_for_timeout(500)
    page.screenshot(path=str(OUT / "form.png"))


def progress_shot(page: Page, lab: LabServer) -> None:
    patient = lab.op("list_patients")[0]
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
    unlock(page, "sam", DEMO_PASSPHRASES["sam"])
    queue = form_in(page, click_tile(page, "Review queue"))
    expect(queue.root.get_by_text("note(s) waiting")).to_be_visible(timeout=60_000)
    queue.button("Preview", 0).click()
    expect(queue.root.locator(".widget-html-content b").first).to_be_visible(timeout=30_000)
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
            context = pw.chromium.launch_persistent_context(
                str(dirs.browser_profile),
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport=VIEWPORT,
                env=dirs.env(),
            )
            page = context.pages[0] if context.pages else context.new_page()
            open_lab(page, lab.lab_url())
            form_shot(page, lab)
            progress_shot(page, lab)
            review_shot(page, lab)
            context.close()
    finally:
        lab.close()
        shutil.rmtree(dirs.base, ignore_errors=True)
    for name in ("form", "progress", "review"):
        path = OUT / f"{name}.png"
        print(f"{path} {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
