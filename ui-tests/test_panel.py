"""The KAP panel and the review queue in the browser (issue 11, deliver 1 and 5): a therapist finds
a patient by part of the name, sees My day and the patient's notes; a supervisor sees whose note
each queue row is, filters by therapist, previews beside the row and co-signs with the
passphrase — no notebook, no kernel, no Python on screen."""

from __future__ import annotations

import re

from labharness import DEMO_PASSPHRASES, LabServer
from labui import Shots, open_lab, status_item, unlock
from playwright.sync_api import Locator, Page, expect

TESS = "Tess Taylor, LCSW"
LAPTOP = {"width": 1280, "height": 800}


def open_panel(page: Page) -> Locator:
    """The KAP panel in the left side bar (its tab toggles it: click only when closed)."""
    panel = page.locator("#kap-notes-panel")
    if not panel.is_visible():
        page.locator('.jp-SideBar li[data-id="kap-notes-panel"]').click()
    expect(panel).to_be_visible()
    return panel


def assert_every_column_in_view(queue: Locator) -> None:
    """No column cut off: the table needs no sideways scrolling and every header and action
    button lies inside the window."""
    rows = queue.locator(".kap-Queue-rows")
    assert rows.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), "the table scrolls sideways"
    area = rows.bounding_box()
    assert area is not None
    edge = min(LAPTOP["width"], area["x"] + area["width"]) + 0.5
    cells = [*queue.locator("thead th").all(), *queue.locator("tbody button").all()]
    assert len(cells) > 7
    for cell in cells:
        box = cell.bounding_box()
        assert box is not None
        assert box["width"] > 0
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= edge, (cell.inner_text(), box)
    expect(queue.locator("tbody button").first).to_be_in_viewport()


def test_panel_day_patients_notes_and_the_supervisors_queue(
    lab: LabServer, page: Page, shots: Shots
) -> None:
    # Given tess unlocked, with the KAP panel open
    open_lab(page, lab.lab_url())
    unlock(page, "tess", DEMO_PASSPHRASES["tess"])
    panel = open_panel(page)
    patient = lab.op("find_patients")[0]
    first = patient["name"].split()[0]

    # Then My day lists her unfinished draft (the demo's process note), with Continue
    day = panel.locator(".kap-Panel-day")
    expect(
        day.get_by_role("heading", name=re.compile(r"^My day \(\d{4}-\d\d-\d\d\)$"))
    ).to_be_visible()
    drafts = day.locator(".kap-Day-drafts")
    expect(drafts.get_by_role("heading", name=re.compile(r"^Drafts to finish"))).to_be_visible()
    expect(drafts.get_by_role("button", name=re.compile(r"^Continue: "))).not_to_have_count(0)

    # When she types part of a patient's name (lower case)
    panel.get_by_label("Find a patient").fill(first[:4].lower())
    hit = panel.locator(".kap-Panel-results").get_by_role(
        "button", name=re.compile(re.escape(f"{patient['name']} · {patient['chart_code']}"))
    )
    expect(hit).to_be_visible()
    expect(hit).to_contain_text(f"Therapist: {TESS}")
    results = panel.locator(".kap-Panel-results")
    expect(
        results.get_by_role("heading", name=f"Patients matching “{first[:4].lower()}”")
    ).to_be_visible()
    others = [p for p in lab.op("find_patients") if first[:4].lower() not in p["name"].lower()]
    assert others, "the demo has other patients"
    expect(results.get_by_text(others[0]["name"])).to_have_count(0)
    expect(panel.get_by_role("button", name="Unlock the vault")).to_be_hidden()
    expect(panel.get_by_role("button", name="Open the review queue")).to_be_hidden()
    shots("panel-search-and-day")

    # And opens the patient: the notes show status, author and the actions that fit
    hit.click()
    expect(day).to_be_hidden()
    notes = panel.locator(".kap-Panel-patient")
    expect(notes.get_by_role("heading", name=patient["name"])).to_be_visible()
    expect(notes.locator(".kap-Note")).not_to_have_count(0)
    expect(notes.locator(".kap-Status-cosigned").first).to_have_text("Co-signed")
    expect(notes.get_by_role("button", name="New dosing session")).to_be_visible()
    expect(notes.get_by_role("button", name="Progress notebook")).to_be_visible()
    expect(notes.get_by_role("button", name=re.compile(r"^Add addendum: "))).not_to_have_count(0)
    shots("panel-patient-notes")

    # And View opens the note, readable, in a tab (labels, not keys; no ids)
    notes.get_by_role("button", name=re.compile(r"^View: .*Dosing session$")).first.click()
    view = page.locator(".kap-NoteView").last
    expect(view.locator(".kap-preview-title")).to_contain_text("Dosing session")
    expect(view).to_contain_text(patient["chart_code"])
    expect(view).to_contain_text(f"Signed by {TESS}")
    assert "rec_" not in view.inner_text()
    assert "open_form" not in page.locator("#jp-main-dock-panel").inner_text()

    # When sam unlocks instead and opens the review queue from the panel
    status_item(page).click()  # lock
    unlock(page, "sam", DEMO_PASSPHRASES["sam"])
    page.set_viewport_size(LAPTOP)  # a clinic laptop, with the side panel open
    panel = open_panel(page)
    panel.get_by_role("button", name="Open the review queue").click()
    queue = page.locator(".kap-Queue")
    table = queue.locator("table.kap-Queue-table")
    for column in ("Patient", "Chart code", "Therapist", "Note type", "Session date", "Signed"):
        expect(table.get_by_role("columnheader", name=column, exact=True)).to_be_visible()
    waiting = lab.op("review_queue")
    expect(table.locator("tbody tr")).to_have_count(len(waiting))
    assert_every_column_in_view(queue)
    shots("queue-1280x800")

    # Then filtering by therapist keeps only tess's notes
    queue.get_by_label("Therapist").select_option(label=TESS)
    tess_rows = [q for q in waiting if q["therapist"] == TESS]
    expect(table.locator("tbody tr")).to_have_count(len(tess_rows))
    row = table.locator("tbody tr").first
    target = tess_rows[0]
    expect(row.locator("td").nth(0)).to_have_text(target["patient_name"])
    expect(row.locator("td").nth(2)).to_have_text(TESS)
    expect(row.locator("td").nth(5)).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d \w+$"))

    # And the preview shows with the row, titled with whose note it is
    row.get_by_role("button", name=re.compile(r"^Preview ")).click()
    preview = queue.locator(".kap-Queue-preview")
    expect(queue.get_by_role("button", name=re.compile(r"^Co-sign "))).to_be_in_viewport()
    expect(preview).to_contain_text(f"{target['patient_name']} · {target['chart_code']}")
    expect(preview.locator(".kap-preview-title")).to_contain_text(target["title"])
    shots("queue-preview")

    # When sam co-signs it with the passphrase
    queue.get_by_role("button", name=re.compile(r"^Co-sign ")).click()
    dialog = page.locator(".jp-Dialog").filter(has=page.locator(".kap-ConfirmDialog"))
    expect(dialog).to_contain_text(f"Co-sign the {target['form']} note of {target['chart_code']}")
    dialog.get_by_label("Passphrase").fill(DEMO_PASSPHRASES["sam"])
    dialog.get_by_role("button", name="Co-sign").click()
    expect(dialog).to_be_hidden()

    # Then the note leaves the queue, co-signed
    expect(table.locator("tbody tr")).to_have_count(len(tess_rows) - 1)
    assert target["note_id"] not in {q["note_id"] for q in lab.op("review_queue")}
    shots("queue-after-cosign")
