"""PatientPicker: choose from (id, label) pairs or create a patient once (name, date of birth,
sex, contact) through a callback; the generated chart code is shown."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from kap_notes.model.patient import SEX_CODES
from kap_notes.widgets import PatientPicker


def test_pick_existing_patient_calls_on_select() -> None:
    chosen: list[str | None] = []
    picker = PatientPicker([("p1", "SYN-001"), ("p2", "SYN-002")], lambda _d: "x", chosen.append)
    picker.dropdown.value = "p2"
    assert picker.value == "p2"
    assert chosen == ["p2"]


def test_create_patient_sends_demographics_and_shows_the_chart_code() -> None:
    sent: list[Mapping[str, str]] = []

    def create(details: Mapping[str, str]) -> dict[str, str]:
        sent.append(dict(details))
        return {"patient_id": f"id-{len(sent)}", "chart_code": "KAP-7F3K2Q"}

    picker = PatientPicker([], create)
    assert [code for _, code in picker.sex.options] == list(SEX_CODES)  # the one code list
    picker.new_label.value = "Synthetic New"
    picker.date_of_birth.value = date(1980, 5, 17)
    picker.sex.value = "female"
    picker.contact.value = "synthetic@example.org"
    picker.create_button.click()
    assert sent == [
        {
            "name": "Synthetic New",
            "date_of_birth": "1980-05-17",
            "sex": "female",
            "contact": "synthetic@example.org",
        }
    ]
    assert picker.value == "id-1"
    assert ("KAP-7F3K2Q · Synthetic New", "id-1") in picker.dropdown.options
    assert "chart code KAP-7F3K2Q" in picker.status.value
    assert (picker.new_label.value, picker.date_of_birth.value) == ("", None)  # ready for the next


def test_name_and_date_of_birth_are_asked_before_creating() -> None:
    sent: list[Mapping[str, str]] = []
    picker = PatientPicker([], lambda d: sent.append(d) or "x")  # type: ignore[func-returns-value]
    picker.new_label.value = "Synthetic Nobirth"
    picker.create_button.click()
    assert sent == []
    assert "Type a date of birth first" in picker.status.value
    picker.new_label.value = ""
    picker.create_button.click()
    assert "Type a name and a date of birth first" in picker.status.value


def test_create_failure_keeps_what_was_typed() -> None:
    def fail(_details: Mapping[str, str]) -> str:
        raise RuntimeError("vault locked")

    picker = PatientPicker([], fail)
    picker.new_label.value = "SYN-KEEP"
    picker.date_of_birth.value = date(1990, 1, 2)
    picker.create_button.click()
    assert picker.new_label.value == "SYN-KEEP"
    assert picker.date_of_birth.value == date(1990, 1, 2)
    assert "vault locked" in picker.status.value
