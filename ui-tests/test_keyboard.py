"""A whole note by keyboard alone (issue 11 deliver 7): the unlock shortcut (issue 13) opens the
dialog; unlock, open the Intention form from the command palette, pick the patient, fill every
required field (a repeating row, a Yes/No toggle, a choice, text), tick a checkbox, save a draft
and sign it in the passphrase dialog — Tab, Shift+Tab, Enter, Space and typing only; after the
page opens nothing is clicked. The test only *looks* at which element has the focus (its
accessible name) to know when to stop tabbing."""

from __future__ import annotations

import re

from axe import assert_no_blocking
from labharness import DEMO_PASSPHRASES, LabServer
from labui import Shots, form_in, open_lab, status_item
from playwright.sync_api import Locator, Page, expect

INTENTION = "Synthetic intention: notice what the body feels, without judging it."
GROUNDING = "Synthetic plan: breathe out slowly, feet on the floor, name five sounds."

#: The focused element as "<role-ish> <name>", from the DOM the way assistive technology sees
#: it: <label for> / aria-labelledby text, a group's label, a button's text.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return '';
  const text = n => (n ? n.textContent.replace(/\\*/g, '').replace(/\\s+/g, ' ').trim() : '');
  const byIds = ids =>
    (ids || '').split(' ').map(id => text(document.getElementById(id))).join(' ');
  const name = el.getAttribute('aria-label') || byIds(el.getAttribute('aria-labelledby')) ||
    [...(el.labels || [])].map(text).join(' ').trim() ||
    (el.tagName === 'BUTTON' ? text(el) : '');
  const group = el.closest('[role=group][aria-labelledby]');
  const within = group ? byIds(group.getAttribute('aria-labelledby')) + ': ' : '';
  return `${el.tagName.toLowerCase()} ${within}${name}`.trim();
}"""


def focused(page: Page) -> str:
    return str(page.evaluate(FOCUSED))


def tab_to(page: Page, pattern: str, *, back: bool = False, limit: int = 150) -> str:
    """Press Tab (Shift+Tab when ``back``) until the focused element matches ``pattern``."""
    wanted = re.compile(pattern)
    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        now = focused(page)
        if wanted.search(now):
            return now
        seen.append(now)
    raise AssertionError(f"no focus matched {pattern!r} in {limit} tabs; saw {seen[-40:]}")


def open_palette(page: Page) -> None:
    """Open JupyterLab's command palette (Ctrl+Shift+C) with its search focused."""
    search = page.locator(".lm-CommandPalette-input")
    for _ in range(3):  # the first shortcut can land while JupyterLab is still settling focus
        page.keyboard.press("Control+Shift+C")
        try:
            expect(search).to_be_focused(timeout=5_000)
            return
        except AssertionError:
            page.keyboard.press("Escape")
    expect(search).to_be_focused()


def palette(page: Page, command: str) -> None:
    """Run a command from JupyterLab's command palette, by keyboard."""
    search = page.locator(".lm-CommandPalette-input")
    open_palette(page)
    active = page.locator(".lm-CommandPalette-item.lm-mod-active")
    for _ in range(5):  # focus can move away while the lab settles (seen in CI): reopen, retype
        if not search.evaluate("e => e === document.activeElement"):
            page.keyboard.press("Escape")
            open_palette(page)
        page.keyboard.press("Control+A")
        page.keyboard.type(command)
        try:
            expect(active).to_contain_text(command, timeout=5_000)
            break
        except AssertionError:
            continue
    expect(search).to_have_value(command)
    expect(active).to_contain_text(command)
    page.keyboard.press("Enter")


def test_a_whole_note_by_keyboard_alone(lab: LabServer, page: Page, shots: Shots) -> None:
    open_lab(page, lab.lab_url())
    expect(status_item(page)).to_have_text("KAP: locked")
    dialog = page.locator(".jp-Dialog").filter(has=page.locator(".kap-UnlockDialog"))

    # The unlock shortcut (schema/plugin.json: Accel Alt K) opens the dialog; Escape closes it
    for _ in range(3):  # the first shortcut can land while JupyterLab is still settling focus
        page.keyboard.press("Control+Alt+K")
        try:
            expect(dialog.get_by_label("User name")).to_be_focused(timeout=5_000)
            break
        except AssertionError:
            page.keyboard.press("Escape")
    expect(dialog.get_by_label("User name")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Unlock from the palette: the dialog's first field has the focus
    palette(page, "Unlock the KAP Vault")
    expect(dialog.get_by_label("User name")).to_be_focused()
    page.keyboard.type("tess")
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("Passphrase")).to_be_focused()
    page.keyboard.type(DEMO_PASSPHRASES["tess"])
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(status_item(page)).to_have_text(re.compile(r"^KAP: tess"))

    # Open the Intention form; pick the first patient by typing (a select's type-ahead)
    palette(page, "New Intention Form")
    panel = page.locator(".kap-FormPanel:visible")
    form = form_in(page, panel)
    patient_select = form.root.get_by_label("Patient", exact=True)
    expect(patient_select).to_be_enabled()
    tab_to(page, r"^select Patient$")
    page.keyboard.type("K")  # the first "KAP-…" option
    expect(form.root.get_by_text("Intention-setting session (v1.0.0)")).to_be_visible(
        timeout=60_000
    )
    chosen = patient_select.locator("option:checked").inner_text()
    patient = next(p for p in lab.op("list_patients") if chosen.startswith(p["chart_code"]))
    before = {n["note_id"] for n in lab.op("list_notes", patient_id=patient["patient_id"])}
    shots("form-open")

    # Setting (a choice): typing "In" picks "In person"
    tab_to(page, r"^select Setting$")
    page.keyboard.type("In")
    expect(_control(form.root, "Setting", "select").locator("option:checked")).to_have_text(
        "In person"
    )

    # An intention row: Enter on "Add intention row", then Shift+Tab back into the new row
    tab_to(page, r"^button Add intention row$")
    page.keyboard.press("Enter")
    tab_to(page, r"^textarea Intention$", back=True)
    page.keyboard.type(INTENTION)

    # The grounding plan (text) and "Current medicines reviewed": Yes, by Space
    tab_to(page, r"^textarea Grounding and coping plan")
    page.keyboard.type(GROUNDING)
    # A multi-choice: Space ticks a checkbox
    tab_to(page, r"^input Psychoeducation covered: Dissociation$")
    page.keyboard.press("Space")
    expect(form.root.get_by_role("checkbox", name="Dissociation")).to_be_checked()
    tab_to(page, r"^button Current medicines reviewed: Yes$")
    page.keyboard.press("Space")
    yes = _control(form.root, "Current medicines reviewed", "button").filter(has_text="Yes")
    expect(yes).to_have_attribute("aria-pressed", "true")
    expect(form.root.locator(".jupyter-widgets-error-widget")).to_have_count(0)
    shots("filled")
    assert_no_blocking(page, "the intention form (checkbox group included)", ".kap-FormPanel")

    # Save a draft (Enter on the button); the live region says so
    live = form.root.locator(".kap-live")
    tab_to(page, r"^button Save draft$")
    page.keyboard.press("Enter")
    expect(live).to_have_text(re.compile(r"^Draft saved"), timeout=30_000)
    (draft,) = [
        n
        for n in lab.op("list_notes", patient_id=patient["patient_id"])
        if n["note_id"] not in before
    ]
    assert (draft["form"], draft["status"]) == ("intention", "draft")

    # Sign: the passphrase dialog takes the focus; Enter confirms
    tab_to(page, r"^button Sign$")
    page.keyboard.press("Enter")
    confirm = page.locator(".jp-Dialog").filter(has=page.locator(".kap-ConfirmDialog"))
    expect(confirm.get_by_label("Passphrase")).to_be_focused(timeout=30_000)
    page.keyboard.type(DEMO_PASSPHRASES["tess"])
    page.keyboard.press("Enter")
    expect(confirm).to_be_hidden()
    expect(live).to_have_text("Signed: read-only; add an addendum for any change", timeout=30_000)
    shots("signed")

    # Then the vault has the signed note with what was typed
    note = lab.op("get_note", note_id=draft["note_id"])
    assert note["signature"] is not None
    answers = note["answers"]
    assert answers["intentions"] == [{"intention": INTENTION}]
    assert answers["grounding_plan"] == GROUNDING
    assert answers["medicines_reviewed"] is True
    assert answers["setting"] == "in_person"
    assert answers["psychoeducation"] == ["dissociation"]


def _control(root: Locator, label: str, tag: str) -> Locator:
    row = root.locator(".kap-field").filter(
        has=root.page.locator(".kap-label", has_text=re.compile(rf"^\s*{re.escape(label)}"))
    )
    return row.locator(tag)
