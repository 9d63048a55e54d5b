"""PatientPicker: choose from (id, label) pairs or create a patient through a callback."""

from __future__ import annotations

from kap_notes.widgets import PatientPicker


def test_pick_existing_patient_calls_on_select() -> None:
    chosen: list[str | None] = []
    picker = PatientPicker([("p1", "SYN-001"), ("p2", "SYN-002")], lambda _l: "x", chosen.append)
    picker.dropdown.value = "p2"
    assert picker.value == "p2"
    assert chosen == ["p2"]


def test_create_patient_adds_and_selects() -> None:
    created: list[str] = []

    def create(label: str) -> str:
        created.append(label)
        return f"id-{len(created)}"

    picker = PatientPicker([], create)
    picker.new_label.value = "SYN-NEW"
    picker.create_button.click()
    assert created == ["SYN-NEW"]
    assert picker.value == "id-1"
    assert ("SYN-NEW", "id-1") in picker.dropdown.options


def test_create_failure_keeps_the_typed_label() -> None:
    def fail(_label: str) -> str:
        raise RuntimeError("vault locked")

    picker = PatientPicker([], fail)
    picker.new_label.value = "SYN-KEEP"
    picker.create_button.click()
    assert picker.new_label.value == "SYN-KEEP"
    assert "vault locked" in picker.status.value
    picker.new_label.value = ""
    picker.create_button.click()
    assert "Type a name for the new patient" in picker.status.value
