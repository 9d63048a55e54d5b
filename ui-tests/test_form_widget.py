"""Issue 11, observations 1-3: a tile opens the form in a tab of its own — no notebook file, no
code — a reload brings it back with what was typed, closing it saves and ends its kernel, and a
draft reopens from ``kap-notes:open-note`` (also after its kernel is gone). Live kernels are the
open forms, plus one spare (kap-notes imported) while the vault is unlocked; none once locked.

Timings (tile → editable form, typing → autosaved, reload → form back) are printed; the medians
live in benchmarks/form_open.py.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from labharness import LabServer
from labui import (
    Shots,
    WidgetForm,
    click_tile,
    current_form,
    current_notebook,
    current_tab,
    form_in,
    open_lab,
    pick_patient,
    run_command,
    status_item,
)
from playwright.sync_api import Locator, Page, expect

SPARE = "KAP form (ready)"  # formwidget.ts SPARE_NAME
TYPED = "Synthetic narrative typed in the form tab 7Q4"
UNBLURRED = "Synthetic theme still being typed 8R2"
LATER = "Synthetic interventions added later 9S3"


@pytest.fixture
def lab_options() -> dict[str, Any]:
    return {"extra_args": ("--LabApp.expose_app_in_browser=True",)}


def test_form_tab_no_notebook_survives_reload_saves_on_close_and_reopens(
    lab: LabServer, page: Page, shots: Shots
) -> None:
    lab.unlock("tess")  # the server holds one unlock: the browser session is tess's too
    patient = lab.op("list_patients")[0]
    before = {n["note_id"] for n in lab.op("list_notes", patient_id=patient["patient_id"])}
    open_lab(page, lab.lab_url())
    expect(status_item(page)).to_have_text(re.compile(r"^KAP: tess"))

    # When tess clicks the Dosing tile, a tab shows the form: no notebook, no code
    began = time.perf_counter()
    form = form_in(page, click_tile(page, "Dosing"))
    expect(form.root.locator("select").first).to_be_enabled()
    opened = time.perf_counter() - began
    expect(current_tab(page)).to_have_text("Dosing")
    assert _notebooks(lab) == []
    main = page.locator("#jp-main-dock-panel")
    expect(main.locator(".jp-Cell, .jp-InputArea, .cm-editor, .jp-Notebook")).to_have_count(0)
    _wait_for(lambda: len(_form_sessions(lab)) == 1)  # (a spare taken is renamed for its form)
    (session,) = _form_sessions(lab)
    shots("dosing-tab")

    # And fills it; the autosave keeps it within a few seconds
    pick_patient(page, form, f"{patient['chart_code']} · {patient['name']}")
    expect(form.root.get_by_text("Dosing session (v1.1.0)")).to_be_visible(timeout=60_000)
    form.text("Experience", TYPED)
    typed = time.perf_counter()
    expect(form.root.get_by_text(re.compile(r"^Draft saved"))).to_be_visible(timeout=30_000)
    autosaved = time.perf_counter() - typed
    (draft,) = _new_notes(lab, patient["patient_id"], before)
    assert lab.op("get_note", note_id=draft)["answers"]["experience"] == TYPED
    # a field still focused reaches the kernel after a short pause in typing
    themes = form.row("Themes for integration").locator("textarea")
    themes.fill(UNBLURRED)
    page.wait_for_timeout(1500)
    shots("typed")

    # When the page reloads, the form is back with everything typed, on the same kernel
    began = time.perf_counter()
    page.reload()
    form = form_in(page, current_form(page))
    expect(form.row("Experience").locator("textarea")).to_have_value(TYPED)
    restored = time.perf_counter() - began
    expect(form.row("Themes for integration").locator("textarea")).to_have_value(UNBLURRED)
    assert [s["kernel"]["id"] for s in _form_sessions(lab)] == [session["kernel"]["id"]]
    assert _notebooks(lab) == []
    shots("after-reload")

    # When she closes the tab, what changed is saved and its kernel ends
    _close_current_tab(page)
    _wait_for(lambda: not _form_sessions(lab) and session["kernel"]["id"] not in _kernels(lab))
    # only the spare is left, ready for the next form (also one the page was starting when it
    # reloaded: it is shut down when a form closes)
    _wait_for(lambda: len(_kernels(lab)) <= 1)
    saved = lab.op("get_note", note_id=draft)["answers"]
    assert (saved["experience"], saved["integration_themes"]) == (TYPED, UNBLURRED)
    assert _new_notes(lab, patient["patient_id"], before) == [draft]
    shots("closed")

    # And the draft reopens from the interface (kap-notes:open-note), not as a new note
    run_command(page, "kap-notes:open-note", {"noteId": draft})
    form = form_in(page, current_form(page))
    expect(form.row("Themes for integration").locator("textarea")).to_have_value(UNBLURRED)
    expect(current_tab(page)).to_have_text("Dosing")
    form.text("Interventions", LATER)
    expect(form.root.get_by_text(re.compile(r"^Draft saved"))).to_be_visible(timeout=30_000)
    assert lab.op("get_note", note_id=draft)["answers"]["interventions"] == LATER
    run_command(page, "kap-notes:open-note", {"noteId": draft})  # already open: no second tab
    expect(page.locator(".kap-FormPanel")).to_have_count(1)
    shots("reopened")

    # When its kernel is gone (a server restart) and the page reloads, the autosaved draft is back
    (gone,) = _form_sessions(lab)
    assert lab.http.delete(f"/api/sessions/{gone['id']}").status_code == 204
    page.reload()
    form = form_in(page, current_form(page))
    expect(form.row("Interventions").locator("textarea")).to_have_value(LATER)
    expect(form.row("Experience").locator("textarea")).to_have_value(TYPED)
    assert len(_form_sessions(lab)) == 1
    _close_current_tab(page)
    _wait_for(lambda: not _form_sessions(lab))
    assert _new_notes(lab, patient["patient_id"], before) == [draft]
    # The progress view's "Compile and open" link opens the notebook in JupyterLab (no
    # "Could not find path"), and its export menu offers "KAP PDF (encrypted)", not "Kap_pdf"
    run_command(page, "kap-notes:open-progress")
    progress = form_in(page, current_form(page))
    pick_patient(page, progress, f"{patient['chart_code']} · {patient['name']}")
    progress.button("Compile and open").click()
    link = progress.root.get_by_role("link", name=re.compile(r"^Open kap-vault\W"))
    expect(link).to_be_visible(timeout=60_000)
    link.click()
    notebook = current_notebook(page)
    heading = notebook.locator(".jp-RenderedMarkdown h1").first
    expect(heading).to_have_text(re.compile(rf"^Progress notebook: {patient['chart_code']}"))
    expect(current_tab(page)).to_contain_text(".ipynb")
    expect(page.get_by_text("Could not find path")).to_have_count(0)
    exports = _export_items(page)
    assert "KAP PDF (encrypted)" in exports
    assert not [i for i in exports if "Kap_pdf" in i], exports
    assert "format html" in exports, exports
    assert "format kap_pdf" not in exports, exports
    shots("progress-link-opened")
    # its kernel has started (which rewrites the notebook's kernel metadata), yet the read-only
    # notebook closes without asking "Save your work"
    _wait_for(lambda: any(s["type"] == "notebook" for s in lab.http.get("/api/sessions").json()))
    idle = ".jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator[data-status='idle']"
    expect(page.locator(idle)).to_be_visible(timeout=60_000)
    page.wait_for_timeout(500)
    _close_current_tab(page, ".jp-NotebookPanel")
    expect(page.get_by_text("Save your work")).to_have_count(0)
    for running in lab.http.get("/api/sessions").json():  # a notebook keeps its kernel when closed
        if running["type"] != "kap-form":
            lab.http.delete(f"/api/sessions/{running['id']}")
    _close_current_tab(page)

    # And once the vault locks, no kernel is left (the spare goes too)
    lab.api("lock")
    expect(status_item(page)).to_have_text("KAP: locked", timeout=30_000)
    _wait_for(lambda: not _kernels(lab))
    print(
        f"\nform tab: tile → editable form {opened:.2f} s; typed → autosaved {autosaved:.2f} s; "
        f"reload → form back {restored:.2f} s"
    )


def _notebooks(lab: LabServer, path: str = "") -> list[str]:
    """Every notebook under the server root (the contents API, as the file browser sees it)."""
    found: list[str] = []
    listing = lab.http.get(f"/api/contents/{path}", params={"content": 1}).json()
    for item in listing["content"]:
        if item["type"] == "directory" and not item["name"].startswith("kap-vault"):
            found += _notebooks(lab, item["path"])
        elif item["type"] == "notebook":
            found.append(item["path"])
    return found


def _form_sessions(lab: LabServer) -> list[dict[str, Any]]:
    """Kernel sessions of form tabs (not the spare)."""
    sessions = lab.http.get("/api/sessions").json()
    return [s for s in sessions if s["type"] == "kap-form" and s["name"] != SPARE]


def _kernels(lab: LabServer) -> list[str]:
    return [k["id"] for k in lab.http.get("/api/kernels").json()]


def _new_notes(lab: LabServer, patient_id: str, before: set[str]) -> list[str]:
    notes = lab.op("list_notes", patient_id=patient_id)
    return [n["note_id"] for n in notes if n["note_id"] not in before]


def _close_current_tab(page: Page, kind: str = ".kap-FormPanel") -> None:
    tab: Locator = current_tab(page)
    tab.locator(".lm-TabBar-tabCloseIcon").click()
    expect(page.locator(f"{kind}:visible")).to_have_count(0, timeout=30_000)


def _export_items(page: Page) -> list[str]:
    """The formats JupyterLab builds its File-menu and palette export items from (each
    labelled by JupyterLab itself), and the KAP menu item's label."""
    items: list[str] = page.evaluate(
        """async () => [
            ...Object.keys(await window.jupyterapp.serviceManager.nbconvert.getExportFormats(false))
              .map(f => `format ${f}`),
            window.jupyterapp.commands.label('kap-notes:export-pdf')
        ]"""
    )
    return items


def _wait_for(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.25)


__all__ = ["WidgetForm"]
