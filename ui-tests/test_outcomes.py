"""The clinic outcomes notebook in the browser (issue 15): a supervisor opens it from the KAP
panel and sees its headings, charts and the "clinic quality data, not clinical advice" label,
with no identifier of any demo patient in the tab; a therapist gets no button, and running the
command anyway is refused with a message that says why."""

from __future__ import annotations

import re

import pytest
from labharness import DEMO_PASSPHRASES, ApiError, LabServer
from labui import Shots, current_tab, kap_panel, open_lab, unlock
from playwright.sync_api import Locator, Page, expect

OUTCOMES = "kap-vault/outcomes.ipynb"
HEADINGS = (
    "Clinic outcomes",
    "PHQ-9: response and remission by route and phase",
    "PHQ-9: time to first response (Kaplan–Meier)",
    "Adverse events per 100 dosing sessions, by type and route",
    "mg/kg by route",
    "PHQ-9 trajectories (each patient faint, the mean bold)",
    "Courses by phase",
)


@pytest.fixture
def lab_options() -> dict[str, object]:
    return {"extra_args": ("--LabApp.expose_app_in_browser=True",)}


def identifiers(lab: LabServer) -> set[str]:
    """Every demo identifier the outcomes tab must not show: each patient's name (whole and
    each part), chart code, date of birth, patient id and note ids (read as the unlocked sam)."""
    found: set[str] = set()
    for patient in lab.op("list_patients"):
        found |= {patient["name"], *patient["name"].split(), patient["chart_code"]}
        found |= {patient["date_of_birth"], patient["patient_id"]}
        found |= {n["note_id"] for n in lab.op("list_notes", patient_id=patient["patient_id"])}
    assert len(found) > 50, found  # 12 demo patients with their notes
    return found


def outcomes_tab(page: Page) -> Locator:
    panel = page.locator(".jp-NotebookPanel:visible")
    expect(panel).to_have_count(1, timeout=120_000)  # the cohort is compiled when opened
    return panel


def test_supervisor_opens_clinic_outcomes_from_the_panel(
    lab: LabServer, page: Page, shots: Shots
) -> None:
    # Given sam (supervisor) unlocked, with the KAP panel open
    open_lab(page, lab.lab_url())
    unlock(page, "sam", DEMO_PASSPHRASES["sam"])
    panel = kap_panel(page)
    hidden = identifiers(lab)

    # When sam clicks "Clinic outcomes"
    button = panel.get_by_role("button", name="Open the clinic outcomes notebook (de-identified)")
    expect(button).to_be_visible(timeout=30_000)
    expect(button).to_have_text(re.compile(r"Clinic outcomes"))
    button.click()

    # Then the outcomes notebook opens in its own tab, headings and the label first
    notebook = outcomes_tab(page)
    expect(current_tab(page)).to_contain_text("outcomes.ipynb")
    title = notebook.locator(".jp-RenderedMarkdown h1").first
    expect(title).to_have_text(re.compile(r"^Clinic outcomes¶?$"), timeout=60_000)
    expect(
        notebook.locator(".jp-RenderedMarkdown em").get_by_text(
            re.compile(r"^Clinic quality data, not clinical advice")
        )
    ).to_be_visible()
    notebook.locator(".jp-Cell").last.scroll_into_view_if_needed()  # cells render lazily
    headings = notebook.locator(".jp-RenderedMarkdown :is(h1, h2, h3)")
    expect(headings).to_have_text([re.compile(rf"^{re.escape(h)}¶?$") for h in HEADINGS])
    shots("outcomes-opened")

    # And its tables and charts are rendered outputs (three charts: Kaplan–Meier, mg/kg,
    # PHQ-9 trajectories), each a real image
    expect(notebook.locator(".jp-RenderedHTMLCommon table")).not_to_have_count(0)
    images = notebook.locator(".jp-RenderedImage img")
    expect(images).to_have_count(3, timeout=60_000)
    for image in images.all():
        image.scroll_into_view_if_needed()
        expect(image).to_be_visible()
        assert image.evaluate("img => img.complete && img.naturalWidth > 100")
    shots("outcomes-charts")

    # And no demo identifier appears anywhere in the tab (names, chart codes, dates of birth,
    # patient and note ids), nor in the notebook the server sent
    text = notebook.evaluate("el => el.textContent")
    assert "Clinic quality data, not clinical advice" in text
    assert not {token for token in hidden if token in text}, "identifiers in the outcomes tab"
    response = lab.http.get(f"/api/contents/{OUTCOMES}")
    assert response.status_code == 200
    assert not {token for token in hidden if token in response.text}


def test_a_therapist_has_no_clinic_outcomes(lab: LabServer, page: Page, shots: Shots) -> None:
    # Given tess (therapist) unlocked, with the KAP panel showing her day
    open_lab(page, lab.lab_url())
    unlock(page, "tess", DEMO_PASSPHRASES["tess"])
    panel = kap_panel(page)
    expect(
        panel.locator(".kap-Panel-day").get_by_role("heading", name=re.compile("^My day"))
    ).to_be_visible()

    # Then the panel offers no "Clinic outcomes" button
    expect(panel.get_by_role("button", name=re.compile("clinic outcomes", re.I))).to_have_count(0)
    shots("therapist-panel")

    # When she runs the command anyway, it is refused with a message that says why
    # (not awaited: the command's promise settles only once its error dialog is closed)
    page.evaluate(
        "id => { void window.jupyterapp.commands.execute(id); }", "kap-notes:open-outcomes"
    )
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_be_visible(timeout=30_000)
    expect(dialog.locator(".jp-Dialog-header")).to_have_text("Clinic outcomes")
    expect(dialog.locator(".jp-Dialog-body")).to_contain_text(
        re.compile(r"is a therapist; this needs supervisor or admin")
    )
    shots("therapist-refused")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".jp-NotebookPanel")).to_have_count(0)

    # And the server refuses both the operation and the notebook's contents
    with pytest.raises(ApiError) as refused:
        lab.op("open_outcomes")
    assert refused.value.status == 403
    response = lab.http.get(f"/api/contents/{OUTCOMES}")
    assert response.status_code in (403, 404)
    assert "Clinic outcomes" not in response.text
