"""What a form needs beyond its answers: the patient's identity (shown, never asked again) and
the notes an item may link to (an integration's dosing note, chosen from a dated list).

The list follows the linked-dosing rule of :mod:`kap_notes.records.derived`: signed dosing notes
only, never a version a revision superseded; each entry carries the context values choosing it
gives the form (its id and date, for days since dosing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kap_notes.forms import get_template
from kap_notes.model.note import Note
from kap_notes.model.times import display_typed
from kap_notes.records.assess import session_date
from kap_notes.records.derived import definition_of, eligible_sources
from kap_notes.records.display import display_answer
from kap_notes.service.notes import list_notes
from kap_notes.service.patients import show_patient
from kap_notes.vault.session import Session

#: Form → (context key of the linking item, form of the notes it links to).
LINKS: dict[str, tuple[str, str]] = {"integration": ("dosing_note_id", "dosing")}


def note_label(note: Note) -> str:
    """``2026-03-02 10:00 · Dosing session 3 · IM injection · 62.5 mg`` (what the list shows)."""
    definition = definition_of(note)
    moment = note.answers.get("session_datetime") or note.answers.get("session_date")
    parts = [display_typed(moment) if moment else "undated", definition.title]
    number = note.answers.get("session_number")
    if number is not None:
        parts[-1] += f" {number}"
    for link in ("route", "dose_mg"):
        item = definition.find(link)
        shown = display_answer(item, note.answers.get(link)) if item is not None else ""
        if shown:
            parts.append(shown)
    return " · ".join(parts)


def link_choices(notes: Sequence[Note], form: str) -> list[dict[str, Any]]:
    """The signed ``form`` notes an item may link to, oldest first, with label and context."""
    probe = Note("", "", 0, "", {}, "", session_date=None)  # no cutoff: every signed note
    return [
        {
            "note_id": n.note_id,
            "session_date": n.session_date,
            "signed_at": str((n.signature or {}).get("signed_at", "")),
            "label": note_label(n),
            "context": {"dosing_note_id": n.note_id, "dosing_date": session_date(n.answers)},
        }
        for n in eligible_sources(probe, notes)
        if n.form == form
    ]


def dosing_choices(session: Session, patient_id: str) -> list[dict[str, Any]]:
    """The patient's signed dosing notes an integration note may link to (oldest first)."""
    return link_choices(list_notes(session, patient_id), "dosing")


def patient_identity(session: Session, patient_id: str) -> dict[str, str]:
    """Chart code, name, date of birth and sex from the patient record (the one identity)."""
    patient = show_patient(session, patient_id)
    return {
        "patient_id": patient_id,
        "chart_code": patient.chart_code,
        "name": patient.name,
        "date_of_birth": patient.date_of_birth,
        "sex": patient.sex,
    }


def form_extras(
    session: Session, patient_id: str, form: str, notes: Sequence[Note] | None = None
) -> dict[str, Any]:
    """What ``form_context`` adds for the form itself: ``patient`` and ``note_choices``
    (``notes``: the patient's notes if already read)."""
    extras: dict[str, Any] = {"patient": patient_identity(session, patient_id)}
    link = LINKS.get(get_template(form).name)
    if link is not None:
        key, target = link
        read = list_notes(session, patient_id) if notes is None else notes
        extras["note_choices"] = {key: link_choices(read, target)}
    return extras
