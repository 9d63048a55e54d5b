"""Auto-lock: ``autoLockMinutes`` = 1 in JupyterLab's settings reaches the server; after a minute
without activity the status bar says locked, and an open form refuses to save without losing what
was typed (it saves once unlocked again)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from labharness import DEMO_PASSPHRASES, LabServer
from labui import Shots, click_tile, form_in, open_lab, pick_patient, status_item, unlock
from playwright.sync_api import Page, expect

TYPED = "Synthetic note typed just before the vault locked itself."


@pytest.fixture
def lab_options() -> dict[str, Any]:
    return {"idle_check_seconds": 1.0}


def test_auto_lock_keeps_typed_input(lab: LabServer, page: Page, shots: Shots) -> None:
    # Given autoLockMinutes = 1 in the user's JupyterLab settings (settings REST API, as the
    # Settings Editor saves it), picked up by the front end when the page loads
    response = lab.http.put(
        "/lab/api/settings/kap-notes:plugin",
        json={"raw": '{"autoLockMinutes": 1}'},
    )
    assert response.status_code == 204, response.text
    open_lab(page, lab.lab_url())
    unlock(page, "tess", DEMO_PASSPHRASES["tess"])
    expect(status_item(page)).to_have_text("KAP: tess · locks in 1 min", timeout=30_000)
    assert lab.api("status")["auto_lock_minutes"] == 1

    # And a dosing form with something typed in it
    lab.unlock("tess")  # same session (the server holds one unlock); only to look the patient up
    patient = lab.op("list_patients")[0]
    before = {n["note_id"] for n in lab.op("list_notes", patient_id=patient["patient_id"])}
    form = form_in(page, click_tile(page, "Dosing"))
    pick_patient(page, form, f"{patient['chart_code']} · {patient['name']}")
    expect(form.root.get_by_text("Dosing session (v1.1.0)")).to_be_visible(timeout=60_000)
    form.text("Experience", TYPED)
    shots("typed")

    # When nobody touches anything for a minute
    expect(status_item(page)).to_have_text("KAP: locked", timeout=180_000)
    assert lab.api("status")["unlocked"] is False
    shots("auto-locked")

    # Then saving says the vault is locked and the typed text is still in the field
    form.button("Save draft").click()
    expect(form.root.get_by_text(re.compile(r"^Not saved: .*lock", re.IGNORECASE))).to_be_visible(
        timeout=30_000
    )
    expect(form.row("Experience").locator("textarea")).to_have_value(TYPED)
    shots("save-refused-input-kept")

    # And after unlocking again the same form saves what was typed
    unlock(page, "tess", DEMO_PASSPHRASES["tess"])
    form.button("Save draft").click()
    expect(form.root.get_by_text(re.compile(r"^Draft saved"))).to_be_visible(timeout=30_000)
    shots("saved-after-unlock")
    new = [
        n
        for n in lab.op("list_notes", patient_id=patient["patient_id"])
        if n["note_id"] not in before
    ]
    assert len(new) == 1
    assert lab.op("get_note", note_id=new[0]["note_id"])["answers"]["experience"] == TYPED
