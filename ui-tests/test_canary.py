"""Canary: a unique string typed into every free-text field of a dosing form in the browser must not
reach any file the run wrote — after saving, signing, an addendum, compiling the patient, PDF and
FHIR exports, a reload and a server restart with the form tab restored, and opening the notebook
again.

Scanned: everything under the run's base dir (server root, Jupyter config/data/runtime, IPython
dir, HOME, TMPDIR, the vault and the server logs), and the real HOME's Jupyter and IPython dirs.
Not asserted: the venv; the FHIR export, plaintext by design, written to a separate temporary dir
(the positive control); and chromium's profile, whose session-restore file keeps typed form values
(a client-side finding, written to ``browser-profile-hits.txt`` in the artifacts). The PDF is
exported to memory (stdout of ``kap-notes export pdf --out -``).
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import uuid
from pathlib import Path

from canary import files_under, scan
from labharness import DEMO_PASSPHRASES, LabServer
from labui import (
    Shots,
    WidgetForm,
    click_tile,
    confirm_with_passphrase,
    current_form,
    form_in,
    open_lab,
    open_path,
    status_item,
    unlock,
)
from playwright.sync_api import BrowserContext, Page, expect
from pypdf import PdfReader

from kap_notes.forms import get_template

FREE_TEXT_TYPES = {"string", "text", "open-choice"}
#: Shown only for Spravato (route = intranasal esketamine); this note is an IV session.
NOT_ENABLED_FOR_IV = {"rems_lot", "rems_serious_ae_description"}


def free_text_items() -> set[str]:
    """linkIds of every free-text item of the dosing template."""
    return {
        item.link_id
        for item, _group in get_template("dosing").walk()
        if item.type in FREE_TEXT_TYPES and not item.is_computed
    }


def test_canary_typed_in_the_browser_never_reaches_disk(
    lab: LabServer, browser: BrowserContext, page: Page, shots: Shots
) -> None:
    canary = f"CANARY{uuid.uuid4().hex}"
    outside = Path(tempfile.mkdtemp(prefix="kap-ui-fhir-"))  # NOT under the scanned dirs
    try:
        run_workflow(lab, browser, page, shots, canary=canary, outside=outside)

        # Then no file the server side touched holds the canary in any encoding
        base = lab.dirs.base
        roots = [p for p in base.iterdir() if p != lab.dirs.browser_profile]
        hits, files = scan(canary, [*roots, *real_home_jupyter_dirs()])
        scanned = sorted(str(f.relative_to(base)) for f in files_under(roots))
        (shots.folder / "scanned-files.txt").write_text("".join(f"{f}\n" for f in scanned))
        # the scan covers every place the run writes to (a count alone said too little)
        tops = {f.split("/", 1)[0] for f in scanned}
        assert {"vault", "logs", "jupyter-runtime", "home"} <= tops, scanned
        # no notebook per form (the server root stays empty); the form tab's restore args
        # live in the workspace file, which is scanned
        assert not [f for f in scanned if f.startswith("server-root/")], scanned
        assert [f for f in scanned if "/workspaces/" in f], scanned
        assert files >= len(scanned) > 10, f"only {files} files scanned: is the run dir right?"
        assert {lab.dirs.vault / "vault.sqlite", lab.log_path} <= set(files_under(roots))
        assert [str(h) for h in hits] == []
        browser_hits, _ = scan(canary, [lab.dirs.browser_profile])
        (shots.folder / "browser-profile-hits.txt").write_text(
            "".join(f"{h}\n" for h in browser_hits)
        )

        # And the scanner does find it where it is meant to be (the plaintext FHIR export)
        control, _ = scan(canary, [outside])
        assert {h.encoding for h in control} >= {"raw"}
    finally:
        shutil.rmtree(outside, ignore_errors=True)


def run_workflow(
    lab: LabServer,
    browser: BrowserContext,
    page: Page,
    shots: Shots,
    *,
    canary: str,
    outside: Path,
) -> None:
    # Given tess unlocked, with the Dosing form open for a patient she creates
    open_lab(page, lab.lab_url())
    unlock(page, "tess", DEMO_PASSPHRASES["tess"])
    form = form_in(page, click_tile(page, "Dosing"))
    form.type_described("Name", f"Synthetic {canary}")
    form.type_described("Date of birth", "1980-05-17")
    form.button("Create patient").click()
    expect(form.root.get_by_text("Dosing session (v1.1.0)")).to_be_visible(timeout=60_000)

    # When the canary goes into every free-text field, the addendum included
    typed = fill_with_canary(form, canary)
    shots("canary-typed")
    assert typed == free_text_items() - NOT_ENABLED_FOR_IV
    form.button("Save draft").click()
    expect(form.root.get_by_text(re.compile(r"^Draft saved"))).to_be_visible(timeout=30_000)
    form.button("Sign").click()
    confirm_with_passphrase(page, DEMO_PASSPHRASES["tess"])
    expect(form.root.get_by_text(re.compile(r"^Signed: read-only"))).to_be_visible(timeout=30_000)
    form.type_described("Addendum", f"Addendum {canary}")
    form.button("Add addendum").click()
    confirm_with_passphrase(page, DEMO_PASSPHRASES["tess"])
    expect(form.root.get_by_text(re.compile(r"^Addendum added"))).to_be_visible(timeout=30_000)
    # (a form tab is no document: nothing to save, no notebook written)
    expect(page.locator("#jp-main-dock-panel .jp-mod-dirty")).to_have_count(0)
    shots("signed-and-saved")

    # And a reload brings the tab back (its restore args go to the workspace file: no PHI)
    page.reload()
    form = form_in(page, current_form(page))
    expect(form.root.get_by_text(re.compile(r"^Addendum added"))).to_be_visible(timeout=30_000)
    expect(form.button("Sign")).to_be_disabled()

    # Then the vault has it in every field (so the canary really went through the whole path)
    patient = next(p for p in lab.op("list_patients") if canary in p["name"])
    [note_ref] = lab.op("list_notes", patient_id=patient["patient_id"])
    assert note_ref["status"] == "signed"
    assert note_ref["addenda"] == 1
    note = lab.op("get_note", note_id=note_ref["note_id"])
    answers = note["answers"]
    in_rows = {"timepoint", "ae_other", "ae_intervention", "ae_rescue_medicine"}
    assert all(canary in answers[key] for key in typed - in_rows), answers
    assert all(canary in row["timepoint"] for row in answers["vitals"]), answers["vitals"]
    [event] = answers["adverse_events"]
    assert all(canary in event[key] for key in in_rows - {"timepoint"}), event

    # When the patient is compiled and the progress notebook opened and rendered
    compiled = lab.op("compile_patient", patient_id=patient["patient_id"])
    notebook = open_path(page, lab.url, lab.token, compiled["path"])
    expect(notebook.locator(".jp-RenderedMarkdown").first).to_contain_text(canary, timeout=60_000)
    shots("progress-notebook")

    # And exported: PDF into memory (protected), FHIR to a dir outside the scanned ones
    password = lab.dirs.tmp / "pdf-password"
    password.write_text("synthetic-export-password\n")
    pdf = lab.cli(
        "export",
        "pdf",
        patient["patient_id"],
        "--out",
        "-",
        "--password-file",
        str(password),
        user="tess",
    )
    password.unlink()
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.is_encrypted
    assert canary.encode() not in pdf
    reader.decrypt("synthetic-export-password")
    assert canary in "".join(p.extract_text() or "" for p in reader.pages).replace("\n", "")
    fhir = outside / "bundle.json"
    lab.cli("export", "fhir", patient["patient_id"], "--out", str(fhir), user="tess")

    # And the server restarts on the same dirs; once unlocked the form tab opens the note again
    lab.restart()
    open_lab(page, lab.lab_url())
    expect(status_item(page)).to_have_text("KAP: locked")
    expect(current_form(page)).to_contain_text("vault is locked", timeout=60_000)
    unlock(page, "tess", DEMO_PASSPHRASES["tess"])
    form = form_in(page, current_form(page))
    expect(form.root.get_by_text(re.compile(r"^Signed: read-only"))).to_be_visible(timeout=60_000)
    shots("form-tab-reopened")
    notebook = open_path(page, lab.url, lab.token, compiled["path"])
    expect(notebook.locator(".jp-RenderedMarkdown").first).to_contain_text(canary, timeout=60_000)
    shots("progress-reopened")
    browser.close()
    lab.stop()


def fill_with_canary(form: WidgetForm, canary: str) -> set[str]:
    """Fill a signable IV dosing note, with the canary in every free-text field; the linkIds."""
    form.text("Session date and time", "2026-03-02 10:00")
    form.text("Clinicians present", f"Clinicians {canary}")
    form.choose("Route", "IV infusion")
    form.text("Product", f"Product {canary}")
    form.text("Strength", f"Strength {canary}")
    form.text("Lot number", canary)
    form.text("Dose", "35")
    form.text("Dosing start", "2026-03-02 10:05")
    form.text("Session end", "2026-03-02 11:35")
    for index in range(2):
        form.button("Add vitals row").click()
        form.text("Time point", f"T{index} {canary}", index)
        form.text("Systolic BP", str(120 + index), index)
        form.text("Diastolic BP", "80", index)
    form.button("Add adverse event row").click()
    form.choose("Event", "Other")
    form.text("Other event (describe)", f"Event {canary}")
    form.text("Intervention", f"Intervention {canary}")
    form.text("Rescue medicine given", f"Rescue {canary}")
    form.text("Experience", f"Experience {canary}")
    form.text("Interventions", f"Interventions {canary}")
    form.text("Themes for integration", f"Themes {canary}")
    return {
        "clinicians_present",
        "product",
        "strength",
        "lot_number",
        "timepoint",
        "ae_other",
        "ae_intervention",
        "ae_rescue_medicine",
        "experience",
        "interventions",
        "integration_themes",
    }


def real_home_jupyter_dirs() -> list[Path]:
    """The real user's Jupyter/IPython dirs: the isolated run must not have written there."""
    home = Path.home()
    candidates = [home / ".jupyter", home / ".local" / "share" / "jupyter", home / ".ipython"]
    return [p for p in candidates if p.is_dir()]
