"""No silent grants, in the browser: ada asks for theo to read one of tess's patients; tess unlocks,
is warned about the wrong passphrase typed for her meanwhile, sees the request in the status bar
badge, opens Access Requests from the KAP menu and approves it after a confirmation; then theo
reads the patient."""

from __future__ import annotations

import re

import pytest
from labharness import DEMO_PASSPHRASES, ApiError, LabServer
from labui import Shots, open_lab, status_item, submit_unlock_dialog
from playwright.sync_api import Page, expect


def tess_patient(lab: LabServer) -> dict[str, str]:
    """One of tess's demo patients (asked through the API); leaves the vault locked."""
    lab.unlock("tess")
    try:
        patient: dict[str, str] = lab.op("list_patients")[0]
        return patient
    finally:
        lab.api("lock")


def test_tess_approves_a_request_from_the_access_requests_panel(
    lab: LabServer, page: Page, shots: Shots
) -> None:
    patient = tess_patient(lab)
    code, pid = patient["chart_code"], patient["patient_id"]
    # Given ada asked for theo to get access, and theo cannot read the patient yet
    lab.unlock("ada")
    assert lab.op("request_access", patient_id=pid, user="theo")["state"] == "pending"
    lab.unlock("theo")
    with pytest.raises(ApiError) as refused:
        lab.op("list_notes", patient_id=pid)
    assert refused.value.status in (403, 404)
    lab.api("lock")
    # And someone typed a wrong passphrase for tess
    with pytest.raises(ApiError) as wrong:
        lab.api("unlock", {"user": "tess", "passphrase": "not tess's passphrase"})
    assert wrong.value.status == 403

    # When tess unlocks in the browser
    open_lab(page, lab.lab_url())
    expect(status_item(page)).to_have_text("KAP: locked")
    status_item(page).click()
    submit_unlock_dialog(page, "tess", DEMO_PASSPHRASES["tess"])
    # Then she is told about the wrong passphrase (a warning, not a dialog in her way)
    warning = page.get_by_text(re.compile(r"^1 wrong passphrase for tess since your last unlock"))
    expect(warning.first).to_be_visible(timeout=30_000)
    expect(page.locator(".kap-NoticesDialog")).to_have_count(0)
    shots("unlock-notice")
    expect(status_item(page)).to_have_text(re.compile(r"^KAP: tess · locks in \d+ min$"))

    # And the status bar badge says something waits for her
    badge = page.locator(".kap-WaitingBadge")
    expect(badge).to_have_text("KAP: 1 waiting", timeout=30_000)
    shots("badge")

    # When she opens Access Requests from the KAP menu
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^KAP$")).click()
    page.locator(".lm-Menu-itemLabel", has_text="Access Requests (1)").click()
    panel = page.locator(".kap-AccessPanel")
    expect(panel).to_be_visible(timeout=30_000)
    item = panel.locator(".kap-AccessPanel-request")
    expect(item).to_have_count(1, timeout=30_000)
    expect(item.locator(".kap-AccessPanel-text")).to_have_text(
        f"theo asks for access to {code} ({patient['name']}), asked by ada"
    )
    shots("panel")

    # And approves, confirming the question
    item.get_by_role("button", name=f"Approve access of theo for {code}").click()
    question = page.locator(".jp-Dialog").filter(has_text=f"Give theo access to {code}'s notes?")
    expect(question).to_be_visible()
    shots("confirm-approve")
    question.get_by_role("button", name="Give access").click()
    expect(question).to_be_hidden()

    # Then the request is gone, the badge too, and theo reads the patient
    expect(panel.get_by_text("No requests wait for your answer.")).to_be_visible(timeout=30_000)
    expect(badge).to_be_hidden(timeout=30_000)
    shots("approved")
    lab.unlock("theo")
    assert isinstance(lab.op("list_notes", patient_id=pid), list)
