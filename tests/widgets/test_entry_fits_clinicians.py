"""Entry that fits clinicians, without a kernel: pickers with Now/Today and a "now" default for a
new note, checkboxes for multi-choice, the REMS form prefilled from the vitals and dose, the
linked dosing note chosen from a dated list, the patient's identity shown read-only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ipywidgets as widgets
from hypothesis import given, settings
from hypothesis import strategies as st

from kap_notes.forms import ClinicSettings, get_template
from kap_notes.widgets import FormView
from kap_notes.widgets.choices import CheckboxGroup
from kap_notes.widgets.fields import DateTimeField, MultiChoiceField, NoteChoiceField
from kap_notes.widgets.pickers import DateField, clinic_clock, rounded
from kap_notes.widgets.sections import RowsWidget
from tests.widgets.fakes import FakeController
from tests.widgets.test_widgets_form_view import type_into

MORNING = dt.datetime(2026, 3, 2, 9, 58, 40)


def fixed(moment: dt.datetime = MORNING) -> Any:
    return lambda: moment


def view_of(form: str, context: dict[str, Any] | None = None, **kw: Any) -> FormView:
    return FormView(get_template(form), context=context, controller=FakeController(), **kw)


# -- pickers ------------------------------------------------------------------------------------
def test_a_new_note_starts_now_rounded_to_five_minutes_and_now_sets_the_minute() -> None:
    view = view_of("dosing", clock=fixed())
    assert view.value["session_datetime"] == "2026-03-02 10:00"
    assert not view.dirty  # a default is not an edit: nothing is autosaved for it
    start = view.body.widgets["start_time"]
    assert isinstance(start, DateTimeField)
    assert isinstance(start.control, widgets.NaiveDatetimePicker)
    assert start.get() is None  # only the session time is defaulted
    start.clock = fixed(dt.datetime(2026, 3, 2, 10, 7, 31))
    start.now_button.click()
    assert view.value["start_time"] == "2026-03-02 10:07"
    assert view.dirty


def test_dates_use_a_picker_with_today_and_the_same_convention() -> None:
    view = view_of("integration", clock=fixed())
    assert view.value["session_date"] == "2026-03-02"  # a new note is dated today
    next_date = view.body.widgets["next_session_date"]
    assert isinstance(next_date, DateField)
    assert isinstance(next_date.control, widgets.DatePicker)
    next_date.now_button.click()
    assert view.value["next_session_date"] == "2026-03-02"


def test_the_clinic_time_zone_decides_now() -> None:
    clock = clinic_clock("Pacific/Auckland")
    utc = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert abs((clock() - utc).total_seconds() - _auckland_offset()) < 120
    view = view_of("intention", settings=ClinicSettings(clinic_time_zone="Pacific/Auckland"))
    typed = dt.datetime.fromisoformat(view.value["session_datetime"])
    assert abs((typed - utc).total_seconds() - _auckland_offset()) <= 5 * 60


def _auckland_offset() -> float:
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    offset = dt.datetime.now(ZoneInfo("Pacific/Auckland")).utcoffset()
    assert offset is not None
    return offset.total_seconds()


def test_stored_times_are_kept_exactly_and_unreadable_text_is_kept() -> None:
    answers = {"session_datetime": "2024-03-01T09:00", "start_time": "yesterday ten-ish"}
    view = FormView(get_template("dosing"), answers)
    assert view.value["session_datetime"] == "2024-03-01T09:00"  # not rewritten on open
    assert view.value["start_time"] == "yesterday ten-ish"
    assert view.body.widgets["start_time"].messages  # validation says why it is not a time
    type_into(view.body, "start_time", "2024-03-01 09:10")
    assert view.value["start_time"] == "2024-03-01 09:10"
    assert view.body.widgets["start_time"].messages == []


def test_signed_notes_disable_the_pickers_and_their_buttons() -> None:
    view = view_of("dosing", clock=fixed())
    view.mark_signed()
    session = view.body.widgets["session_datetime"]
    assert isinstance(session, DateTimeField)
    assert session.control.disabled
    assert session.now_button.disabled


@settings(max_examples=25, deadline=None)
@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)))
def test_rounding_is_to_the_nearest_five_minutes(moment: dt.datetime) -> None:
    result = rounded(moment)
    assert result.minute % 5 == 0
    assert (result.second, result.microsecond) == (0, 0)
    assert abs((result - moment).total_seconds()) <= 150


# -- checkboxes ---------------------------------------------------------------------------------
def test_multi_choice_is_a_column_of_checkboxes_whose_value_is_the_codes() -> None:
    view = view_of("preparation", clock=fixed())
    risks = view.body.widgets["risks_discussed"]
    assert isinstance(risks, MultiChoiceField)
    group = risks.control
    assert isinstance(group, CheckboxGroup)
    item = risks.item
    assert [b.description for b in group.boxes] == [o.display for o in item.options]
    assert all(isinstance(b, widgets.Checkbox) for b in group.boxes)
    group.boxes[2].value = True  # nausea
    group.boxes[0].value = True  # dissociation
    assert view.value["risks_discussed"] == ["dissociation", "nausea"]  # option order
    view.value = {**view.value, "risks_discussed": ["bp_rise", "retired_code"]}
    assert [b.value for b in group.boxes][:3] == [False, True, False]
    assert view.value["risks_discussed"] == ["bp_rise", "retired_code"]  # unknown code kept
    view.mark_signed()
    assert group.disabled
    assert all(b.disabled for b in group.boxes)
    assert group.boxes[1].value  # a signed note still shows what was ticked


# -- REMS prefill -------------------------------------------------------------------------------
def spravato_view() -> FormView:
    view = view_of("dosing", context={"patient_weight_kg": 70}, clock=fixed())
    type_into(view.body, "route", "esketamine_in")
    type_into(view.body, "start_time", "2026-03-02 10:00")
    vitals = view.body.widgets["vitals"]
    assert isinstance(vitals, RowsWidget)
    rows = [("09:55", 128, 82), ("10:40", 146, 90), ("12:00", 124, 80)]
    for measured, systolic, diastolic in rows:
        vitals.add_button.click()
        type_into(vitals.rows[-1].section, "measured_at", f"2026-03-02 {measured}")
        type_into(vitals.rows[-1].section, "systolic", str(systolic))
        type_into(vitals.rows[-1].section, "diastolic", str(diastolic))
    type_into(view.body, "dose_mg", "56")
    type_into(view.body, "lot_number", "SYN-LOT-1")
    type_into(view.body, "minutes_monitored", "125")
    return view


REMS_FROM_NOTE = {
    "rems_bp_before_systolic": 128,
    "rems_bp_before_diastolic": 82,
    "rems_bp_40min_systolic": 146,
    "rems_bp_40min_diastolic": 90,
    "rems_bp_completion_systolic": 124,
    "rems_bp_completion_diastolic": 80,
    "rems_dose": "56",
    "rems_lot": "SYN-LOT-1",
    "rems_monitoring_minutes": 125,
}


def test_the_rems_form_is_prefilled_from_the_vitals_rows_and_dose() -> None:
    view = spravato_view()
    assert {k: view.value.get(k) for k in REMS_FROM_NOTE} == REMS_FROM_NOTE
    assert not [f for f in view.flags if f.id.startswith("rems_")]  # consistent by design


def test_prefilled_rems_fields_are_editable_and_an_edit_is_never_overwritten() -> None:
    view = spravato_view()
    type_into(view.body, "rems_bp_before_systolic", "130")  # the clinician's own reading
    vitals = view.body.widgets["vitals"]
    assert isinstance(vitals, RowsWidget)
    type_into(vitals.rows[0].section, "systolic", "127")
    type_into(vitals.rows[2].section, "systolic", "122")
    assert view.value["rems_bp_before_systolic"] == 130  # typed: kept
    assert view.value["rems_bp_completion_systolic"] == 122  # still prefilled: follows
    type_into(view.body, "dose_mg", "70")
    assert (view.value["rems_dose"], view.value["rems_dose_other_mg"]) == ("other", 70)


def test_no_rems_prefill_unless_the_route_is_spravato() -> None:
    view = view_of("dosing", clock=fixed())
    type_into(view.body, "route", "iv")
    type_into(view.body, "dose_mg", "56")
    type_into(view.body, "lot_number", "SYN-LOT-2")
    assert not any(k.startswith("rems_") for k in view.value)


# -- the linked dosing note ---------------------------------------------------------------------
def choice(note_id: str, day: str) -> dict[str, Any]:
    return {
        "note_id": note_id,
        "session_date": day,
        "signed_at": f"{day}T15:00:00Z",
        "label": f"{day} 10:00 · Dosing session",
        "context": {"dosing_note_id": note_id, "dosing_date": day},
    }


CHOICES = [
    choice("rec_a", "2026-02-23"),
    choice("rec_b", "2026-02-27"),
    choice("rec_c", "2026-03-04"),
]


def shown(view: FormView, link_id: str) -> str:
    """The HTML a computed item shows."""
    return str(view.body.widgets[link_id].container.children[1].value)  # beside its label


def integration_view(answers: dict[str, Any] | None = None) -> FormView:
    context = {
        "dosing_note_id": "rec_c",  # the service's as-of guess without a date: the latest
        "dosing_date": "2026-03-04",
        "note_choices": {"dosing_note_id": CHOICES},
    }
    return FormView(get_template("integration"), answers, context, clock=fixed())


def test_linked_dosing_note_is_chosen_from_a_dated_list_defaulting_to_the_latest_before() -> None:
    view = integration_view()  # a new note dated 2026-03-02
    linked = view.body.widgets["linked_dosing_note_id"]
    assert isinstance(linked, NoteChoiceField)
    assert [label for label, _ in linked.control.options] == [
        "— choose —",
        "2026-03-04 10:00 · Dosing session",
        "2026-02-27 10:00 · Dosing session",
        "2026-02-23 10:00 · Dosing session",
    ]
    assert not linked.control.disabled  # a read-only id no more: it is chosen
    assert view.value["linked_dosing_note_id"] == "rec_b"
    assert view.computed["days_since_dosing"] == 3
    assert "3 days" in shown(view, "days_since_dosing")
    # When the integration date moves, the default follows (never a later dosing session)
    type_into(view.body, "session_date", "2026-03-05")
    assert view.value["linked_dosing_note_id"] == "rec_c"
    assert view.computed["days_since_dosing"] == 1
    assert "1 day<" in shown(view, "days_since_dosing")  # "1 day", not "1 days"
    # When the clinician picks one, it stays picked
    linked.control.value = "rec_a"
    type_into(view.body, "session_date", "2026-03-06")
    assert view.value["linked_dosing_note_id"] == "rec_a"
    assert view.computed["days_since_dosing"] == 11


def test_a_saved_link_is_kept_when_the_note_is_opened_again() -> None:
    view = integration_view({"session_date": "2026-03-05", "linked_dosing_note_id": "rec_a"})
    assert view.value["linked_dosing_note_id"] == "rec_a"
    assert view.computed["days_since_dosing"] == 10
    gone = integration_view({"session_date": "2026-03-05", "linked_dosing_note_id": "rec_old"})
    assert gone.value["linked_dosing_note_id"] == "rec_old"  # a note no longer listed: kept


# -- one identity -------------------------------------------------------------------------------
def test_the_form_shows_the_patient_identity_read_only() -> None:
    patient = {
        "patient_id": "pat_1",
        "chart_code": "KAP-7F3K2Q",
        "name": "Synthetic <Person>",
        "date_of_birth": "1980-05-17",
        "sex": "female",
    }
    view = view_of("preparation", context={"patient": patient}, clock=fixed())
    shown = view.identity.value
    for text in ("KAP-7F3K2Q", "Synthetic &lt;Person&gt;", "1980-05-17", "Female"):
        assert text in shown
    assert view.identity in view.widget.children
    assert "patient" not in view.context  # not an expression input
    assert not {"chart_code", "patient_name", "date_of_birth", "sex"} & set(view.body.widgets)
