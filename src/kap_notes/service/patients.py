"""Use cases for patients: register, list, show."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kap_notes.model.patient import Patient
from kap_notes.vault.session import Session


@dataclass(frozen=True)
class PatientSummary:
    """What a patient list shows."""

    patient_id: str
    chart_code: str
    name: str
    date_of_birth: str


def add_patient(session: Session, data: Mapping[str, Any]) -> str:
    """Register a patient treated by the session's user; returns the new patient id."""
    patient = Patient.from_input(data)
    return session.create_patient(patient.to_record())


def list_patients(session: Session) -> list[PatientSummary]:
    """Every patient the user can open, by name."""
    summaries = [
        PatientSummary(
            r.patient_id, r.content["chart_code"], r.content["name"], r.content["date_of_birth"]
        )
        for r in session.list_patients()
    ]
    return sorted(summaries, key=lambda s: (s.name.lower(), s.patient_id))


def show_patient(session: Session, patient_id: str) -> Patient:
    """A patient's demographics."""
    session.patient(patient_id)
    return Patient.from_record(session.get_record(patient_id).content)
