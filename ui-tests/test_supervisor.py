"""A supervisor in the browser: unlock as sam, compile and open a patient's progress notebook (an
image output renders), co-sign from the Review queue tile, and export PDFs."""

from __future__ import annotations

import base64
import io
import re

from labharness import DEMO_PASSPHRASES, LabServer
from labui import (
    Shots,
    click_tile,
    confirm_with_passphrase,
    form_in,
    launcher,
    open_lab,
    open_path,
    status_item,
    unlock,
)
from playwright.sync_api import Page, expect
from pypdf import PdfReader


def test_supervisor_opens_progress_cosigns_and_exports(
    lab: LabServer, page: Page, shots: Shots
) -> None:
    # Given sam unlocked in the browser
    open_lab(page, lab.lab_url())
    unlock(page, "sam", DEMO_PASSPHRASES["sam"])
    expect(status_item(page)).to_contain_text("KAP: sam")
    patient = lab.op("list_patients")[0]
    label = f"{patient['chart_code']} · {patient['name']}"
    shots("unlocked")

    # When sam compiles a patient's progress notebook from the Patient progress tile
    view = form_in(page, click_tile(page, "Patient progress"))
    view.root.locator("select").first.select_option(label=label)
    expect(view.root.get_by_text(re.compile(r"· dosing · "))).not_to_have_count(0)
    view.button("Compile and open").click()
    path = f"kap-vault/{patient['chart_code']}/progress.ipynb"
    expect(
        view.root.get_by_text(re.compile(r"^Progress notebook (rebuilt|up to date)"))
    ).to_be_visible(timeout=120_000)
    expect(view.root.get_by_role("link", name=f"Open {path}")).to_be_visible()
    shots("progress-compiled")

    # And exports the record: an AES-256 PDF to download, its passphrase shown once
    view.button("Export PDF").click()
    download = view.root.get_by_role("link", name=re.compile(r"^Download .*\(AES-256 encrypted\)$"))
    expect(download).to_be_visible(timeout=120_000)
    shots("pdf-exported")
    passphrase = view.root.locator("code").first.inner_text()
    href = download.get_attribute("href") or ""
    exported = base64.b64decode(href.split("base64,", 1)[1])
    reader = PdfReader(io.BytesIO(exported))
    assert reader.is_encrypted
    assert reader.decrypt(passphrase)
    assert patient["chart_code"] in reader.pages[0].extract_text()

    # Then the notebook opens from kap-vault/ and renders, charts included
    notebook = open_path(page, lab.url, lab.token, path)
    heading = notebook.locator(".jp-RenderedMarkdown h1").first
    title = re.compile(rf"^Progress notebook: {patient['chart_code']}¶?$")
    expect(heading).to_have_text(title, timeout=60_000)
    image = notebook.locator(".jp-RenderedImage img").first
    image.scroll_into_view_if_needed()
    expect(image).to_be_visible(timeout=60_000)
    assert image.evaluate("img => img.complete && img.naturalWidth > 100")
    shots("progress-notebook")

    # And the server's nbconvert exporter ("Save and Export As") never hands out an unprotected
    # copy: without a configured passphrase it refuses
    response = lab.http.get(f"/nbconvert/kap_pdf/{path}", params={"download": "true"})
    assert response.status_code != 200
    assert b"%PDF-" not in response.content[:16]

    # When sam co-signs the oldest waiting note from the Review queue tile
    queue_before = lab.op("review_queue")
    assert queue_before, "the demo clinic has signed notes waiting for sam"
    oldest = queue_before[0]
    launcher(page).locator(".jp-LauncherCard", has_text="Review queue").click()
    rows = page.locator(".kap-Queue table.kap-Queue-table > tbody > tr")  # the queue tab
    expect(rows).to_have_count(len(queue_before), timeout=60_000)
    rows.first.get_by_role("button", name=re.compile(r"^Preview ")).click()
    shots("review-queue")
    page.locator(".kap-Queue").get_by_role("button", name=re.compile(r"^Co-sign ")).click()
    confirm_with_passphrase(page, DEMO_PASSPHRASES["sam"], re.compile(r"^Co-sign the .+ note of "))

    # Then the queue shrinks by that note, and the chart shows it co-signed
    expect(rows).to_have_count(len(queue_before) - 1, timeout=60_000)
    shots("cosigned")
    assert [q["note_id"] for q in lab.op("review_queue")] == [
        q["note_id"] for q in queue_before[1:]
    ]
    statuses = {
        n["note_id"]: n["status"] for n in lab.op("list_notes", patient_id=oldest["patient_id"])
    }
    assert statuses[oldest["note_id"]] == "cosigned"

    # And the patient's record exports as an AES-256 protected PDF (CLI, into memory)
    password_file = lab.dirs.tmp / "pdf-password"
    password_file.write_text("synthetic-export-password\n")
    pdf = lab.cli(
        "export",
        "pdf",
        oldest["patient_id"],
        "--out",
        "-",
        "--password-file",
        str(password_file),
        user="sam",
    )
    password_file.unlink()
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.is_encrypted
    assert reader.decrypt("synthetic-export-password") != 0
    assert reader.trailer["/Encrypt"]["/V"] == 5  # AES-256 (PDF 2.0 / R6)
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    assert re.search(r"co-?sign", text, re.IGNORECASE), text[:2000]


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(p.extract_text() or "" for p in reader.pages)
