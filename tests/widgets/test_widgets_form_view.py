"""FormView without a kernel: build, type into child widgets, click buttons, check the fake."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import ipywidgets as widgets
import pytest

from kap_notes.forms import ClinicSettings, ValidationIssue, get_template
from kap_notes.widgets import FormController, FormView, ItemWidget
from kap_notes.widgets.choices import CheckboxGroup
from kap_notes.widgets.fields import FieldWidget
from kap_notes.widgets.lifecycle import CONFIRM_HINT
from kap_notes.widgets.sections import InstrumentWidget, RowsWidget, Section
from tests.forms.helpers import COMPLETE
from tests.widgets.fakes import PASSPHRASE, FakeController

SESSIONS = sorted(COMPLETE)


def make_view(session: str, controller: FakeController | None = None, **kw: Any) -> FormView:
    _, context = COMPLETE[session]
    return FormView(
        get_template(session), context=context, controller=controller or FakeController(), **kw
    )


def field(section: Section, link_id: str) -> Any:
    """The input widget of one item."""
    widget = section.widgets[link_id]
    assert isinstance(widget, FieldWidget)
    return widget.control


def type_into(section: Section, link_id: str, value: Any) -> None:
    control = field(section, link_id)
    if isinstance(control, widgets.DatePicker) and isinstance(value, str):
        value = date.fromisoformat(value)
    elif isinstance(control, widgets.NaiveDatetimePicker) and isinstance(value, str):
        value = datetime.fromisoformat(value)
    elif isinstance(control, (widgets.Text, widgets.Textarea)) and not isinstance(value, str):
        value = str(value)
    elif isinstance(control, CheckboxGroup):
        for code, box in zip(control.codes, control.boxes, strict=True):
            box.value = code in value  # ticked one by one, as a clinician does
        return
    control.value = value


def fill(view: FormView, answers: dict[str, Any], section: Section | None = None) -> None:
    """Fill the form the way a clinician would: widget by widget, rows with the Add button."""
    section = section or view.body
    for link_id, value in answers.items():
        widget = section.widgets[link_id]
        if isinstance(widget, RowsWidget):
            for row_values in value:
                widget.add_button.click()
                fill(view, row_values, widget.rows[-1].section)
        elif isinstance(widget, InstrumentWidget):
            fill(view, value, widget.section)
        else:
            type_into(section, link_id, value)


def sign(view: FormView) -> None:
    assert view.lifecycle is not None
    view.lifecycle.sign_button.click()


def test_fake_controller_satisfies_the_protocol() -> None:
    assert isinstance(FakeController(), FormController)


@pytest.mark.parametrize("session", SESSIONS)
def test_fill_save_sign_and_addendum_for_every_session_type(session: str) -> None:
    factory, _ = COMPLETE[session]
    controller = FakeController()
    view = make_view(session, controller)
    fill(view, factory())
    assert view.value == factory() | _prefilled(session)
    assert view.refresh().ok, view.result.messages()
    assert view.lifecycle is not None
    view.lifecycle.save_button.click()
    assert controller.drafts == [view.value]
    assert view.status_text.startswith("Draft saved")
    sign(view)
    assert controller.signed == [view.value]
    assert view.locked
    assert all(w.control.disabled for w in _fields(view.body))
    assert view.lifecycle.save_button.disabled
    view.lifecycle.addendum.value = "Synthetic addendum."
    view.lifecycle.addend_button.click()
    assert controller.addenda == ["Synthetic addendum."]
    assert view.lifecycle.addendum.value == ""


def _prefilled(session: str) -> dict[str, Any]:
    return {"linked_dosing_note_id": "note-synthetic-1"} if session == "integration" else {}


def _fields(section: Section) -> list[FieldWidget]:
    found = [w for w in section.widgets.values() if isinstance(w, FieldWidget)]
    for widget in section.widgets.values():
        if isinstance(widget, RowsWidget):
            for row in widget.rows:
                found += _fields(row.section)
        elif isinstance(widget, InstrumentWidget):
            found += _fields(widget.section)
    return found


def test_invalid_number_is_kept_exactly_saved_as_draft_and_blocks_signing() -> None:
    controller = FakeController()
    view = make_view("dosing", controller)
    fill(view, COMPLETE["dosing"][0]())
    type_into(view.body, "dose_mg", "12a")
    assert view.value["dose_mg"] == "12a"
    assert view.body.widgets["dose_mg"].messages == ["Dose '12a' is not a number"]
    view.save_draft()
    assert controller.drafts[-1]["dose_mg"] == "12a"
    sign(view)
    assert controller.signed == []
    assert view.status_text.startswith("Cannot sign yet: 1 problem")
    assert field(view.body, "dose_mg").value == "12a"


def test_numbers_are_kept_as_typed() -> None:
    view = make_view("dosing")
    type_into(view.body, "dose_mg", "56")
    type_into(view.body, "session_number", "03")
    assert view.value["dose_mg"] == 56
    assert view.value["session_number"] == "03"


def test_sign_attempt_shows_required_messages_inline_and_keeps_input() -> None:
    controller = FakeController()
    view = make_view("dosing", controller)
    type_into(view.body, "dose_mg", "56")
    assert view.body.widgets["route"].messages == []  # not while typing
    sign(view)
    assert view.body.widgets["route"].messages == ["Route is required"]
    assert "problem(s) to fix before signing" in view.summary.value
    assert controller.signed == []
    assert view.value["dose_mg"] == 56


def test_no_passphrase_field_signing_is_confirmed_outside_the_kernel() -> None:
    controller = FakeController()
    view = make_view("process-note", controller)
    controller.status_probe = lambda: view.status_text
    assert view.lifecycle is not None
    assert not any(isinstance(w, widgets.Password) for w in _descendants(view.widget))
    fill(view, COMPLETE["process-note"][0]())
    controller.dialog_answer = None  # Cancel in JupyterLab's dialog
    sign(view)
    assert controller.seen_while_confirming == [CONFIRM_HINT]
    assert controller.signed == []
    assert "Cancelled" in view.status_text
    controller.dialog_answer = "wrong passphrase"
    sign(view)
    assert view.status_text == "Wrong passphrase"
    assert not view.locked
    controller.dialog_answer = PASSPHRASE
    sign(view)
    assert view.locked
    view.lifecycle.addendum.value = "Synthetic addendum."
    view.lifecycle.addend_button.click()
    assert controller.seen_while_confirming[-1] == CONFIRM_HINT
    assert controller.addenda == ["Synthetic addendum."]


def _descendants(widget: widgets.Widget) -> list[widgets.Widget]:
    found = [widget]
    for child in getattr(widget, "children", ()):
        found += _descendants(child)
    return found


def test_controller_failure_is_shown_and_input_survives() -> None:
    controller = FakeController(fail_next="disk full")
    view = make_view("process-note", controller)
    fill(view, COMPLETE["process-note"][0]())
    view.save_draft()
    assert view.status_text == "Not saved: disk full"
    assert view.value["process_note"] == "Synthetic process note."
    assert view.dirty


def test_issues_returned_by_the_service_are_shown_inline() -> None:
    issue = ValidationIssue("process_note", "Process note is too short for the clinic")
    controller = FakeController(refuse_issues=(issue,))
    view = make_view("process-note", controller)
    fill(view, COMPLETE["process-note"][0]())
    sign(view)
    assert view.body.widgets["process_note"].messages == [issue.message]


def test_addendum_needs_text() -> None:
    controller = FakeController(is_locked=True)
    view = make_view("process-note", controller)
    assert view.locked
    view.add_addendum("   ")
    assert view.status_text == "Write the addendum first"
    assert controller.addenda == []


def test_autosave_saves_only_when_changed() -> None:
    controller = FakeController()
    view = make_view("intention", controller, autosave_seconds=5)
    assert view.autosave_tick() is None
    type_into(view.body, "hopes", "Synthetic hope")
    view.autosave_tick()
    started = view.value["session_datetime"]  # a new note starts at "now" (see test_pickers)
    assert controller.drafts == [{"session_datetime": started, "hopes": "Synthetic hope"}]
    assert view.autosave_tick() is None


def test_add_and_remove_rows() -> None:
    view = make_view("dosing")
    vitals = view.body.widgets["vitals"]
    assert isinstance(vitals, RowsWidget)
    for _ in range(3):
        vitals.add_button.click()
    for index, row in enumerate(vitals.rows):
        type_into(row.section, "systolic", str(120 + index))
    vitals.rows[1].remove.click()
    assert [r["systolic"] for r in view.value["vitals"]] == [120, 122]
    assert "Vitals row 2" in vitals.rows[1].title.value
    events = view.body.widgets["adverse_events"]
    assert isinstance(events, RowsWidget)
    events.add_button.click()
    type_into(events.rows[0].section, "ae_type", "other")
    sign(view)
    assert events.rows[0].section.widgets["ae_other"].messages == [
        "Other event (describe) is required (adverse event row 1)"
    ]
    events.rows[0].remove.click()
    assert "adverse_events" not in view.value


@pytest.mark.parametrize(
    ("route", "timepoints"),
    [
        ("esketamine_in", ["Before dosing", "About 40 min after dosing", "Before discharge"]),
        ("iv", ["Before infusion", "15 min", "30 min", "45 min (end of infusion)", "60 min"]),
    ],
)
def test_route_presets_fill_vitals_rows(route: str, timepoints: list[str]) -> None:
    view = make_view("dosing")
    type_into(view.body, "route", route)
    type_into(view.body, "start_time", "2024-03-01 09:10")
    vitals = view.body.widgets["vitals"]
    assert isinstance(vitals, RowsWidget)
    assert vitals.preset_button is not None
    vitals.preset_button.click()
    rows = view.value["vitals"]
    assert [r["timepoint"] for r in rows][: len(timepoints)] == timepoints
    assert rows[0]["measured_at"] == "2024-03-01 09:05"
    vitals.preset_button.click()  # no duplicates
    assert len(view.value["vitals"]) == len(rows)


def test_enable_when_shows_and_hides_rems_group() -> None:
    view = make_view("dosing")
    rems = view.body.widgets["rems"]
    assert rems.container.layout.display == "none"
    type_into(view.body, "route", "esketamine_in")
    assert rems.container.layout.display is None
    type_into(view.body, "rems_lot", "SYN-1")
    type_into(view.body, "route", "iv")
    assert rems.container.layout.display == "none"
    assert view.value["rems_lot"] == "SYN-1"  # typed input is never lost


def test_disabled_answers_are_left_out_of_the_signed_note() -> None:
    controller = FakeController()
    view = make_view("dosing", controller)
    fill(view, COMPLETE["dosing"][0]())
    type_into(view.body, "booster_given", True)
    type_into(view.body, "booster_dose_mg", "10")
    type_into(view.body, "booster_given", False)
    sign(view)
    assert "booster_dose_mg" not in controller.signed[0]


def test_live_computed_values_and_instrument_scores() -> None:
    view = make_view("dosing")
    type_into(view.body, "dose_mg", "35")
    assert "0.5 mg/kg" in view.body.widgets["dose_mg_per_kg"].container.children[1].value
    view = make_view("integration")
    type_into(view.body, "session_date", "2024-03-04")
    assert view.computed["days_since_dosing"] == 3
    phq9 = view.body.widgets["phq9"]
    assert isinstance(phq9, InstrumentWidget)
    fill(view, {f"phq9_{i}": 2 for i in range(1, 10)}, phq9.section)
    assert "Total 18 (0\u201327) \u2014 Moderately severe" in phq9.score.value
    assert view.flags_box.value.count("PHQ-9 item 9") == 1


def test_bp_flag_uses_clinic_settings() -> None:
    view = make_view("dosing", settings=ClinicSettings(systolic_alert_mmhg=150))
    vitals = view.body.widgets["vitals"]
    assert isinstance(vitals, RowsWidget)
    vitals.add_button.click()
    type_into(vitals.rows[0].section, "systolic", "155")
    type_into(vitals.rows[0].section, "diastolic", "90")
    assert "clinic alert setting (150/100 mmHg)" in view.flags_box.value


def test_setting_value_round_trips_and_keeps_unknown_fields() -> None:
    factory, context = COMPLETE["preparation"]
    answers = factory() | {"legacy_field": "kept"}
    view = FormView(get_template("preparation"), answers, context)
    assert view.value == answers
    view.value = {"chart_code": "SYN-2", "date_of_birth": "not a date", "sex": "unknown-code"}
    assert view.value == {
        "chart_code": "SYN-2",
        "date_of_birth": "not a date",
        "sex": "unknown-code",
    }


def test_hidden_instrument_items_are_not_rendered_but_kept() -> None:
    view = make_view("integration")
    meq = view.body.widgets["meq30"]
    assert isinstance(meq, InstrumentWidget)
    qids_like = {"meq_mystical": 3, "hidden_extra": 1}
    meq.set(qids_like)
    assert view.value["meq30"] == qids_like


def test_signed_note_opens_read_only() -> None:
    view = make_view("intention", FakeController(is_locked=True))
    assert all(w.control.disabled for w in _fields(view.body))
    assert view.lifecycle is not None
    assert view.lifecycle.sign_button.disabled
    assert view.lifecycle.addendum_row.layout.display is None


@pytest.mark.parametrize("session", SESSIONS)
def test_every_input_has_a_visible_label(session: str) -> None:
    view = make_view(session)
    fill(view, COMPLETE[session][0]())
    for widget in _fields(view.body):
        assert widget.item.text.split("(")[0].strip()[:20] in _unescape(widget.label.value)
        assert widget.control.tooltip == widget.item.text


@pytest.mark.parametrize("session", SESSIONS)
def test_only_theme_colours_are_used(session: str) -> None:
    view = make_view(session)
    sign(view)  # shows every message
    html = " ".join(_all_html(view.widget))
    assert not re.search(r"#[0-9a-fA-F]{3,6}\b|rgb\(|\b(red|green|orange|blue)\b", html)
    assert "var(--jp-" in html


def _all_html(widget: Any) -> list[str]:
    found = [widget.value] if isinstance(widget, widgets.HTML) else []
    for child in getattr(widget, "children", ()):
        found += _all_html(child)
    return found


def _unescape(text: str) -> str:
    import html  # noqa: PLC0415

    return html.unescape(text)


def test_item_widget_base_is_public() -> None:
    assert issubclass(FieldWidget, ItemWidget)
