"""A clinician's worklist (reads only): find a patient by name, chart code or date of birth,
and a patient's notes with the actions that fit the unlocked user (see :mod:`.myday` for what
waits for them today)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kap_notes.forms import ClinicSettings, get_template
from kap_notes.model.people import Role
from kap_notes.model.times import clinic_time_zone, format_timestamp
from kap_notes.records.chart import NoteView
from kap_notes.records.queue import note_title, read_record
from kap_notes.vault.session import Session

#: Actions a note row offers (the panel shows one button each).
CONTINUE, REVISE, ADDENDUM, VIEW, DISCARD = "continue", "revise", "addendum", "view", "discard"
#: The session forms a clinician starts from the panel, in course order.
NEW_NOTE_FORMS = ("preparation", "intention", "dosing", "integration")


@dataclass(frozen=True)
class PatientHit:
    """A patient as the panel lists them."""

    patient_id: str
    name: str
    chart_code: str
    date_of_birth: str
    #: The treating therapist as shown beside signatures: ``Tess Taylor, LCSW``.
    therapist: str


_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def _needle(token: str) -> str:
    """A search token; a US date ``5/17/1980`` becomes ``1980-05-17``."""
    us = _US_DATE.fullmatch(token)
    if us:
        month, day, year = us.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return token.lower()


def matches(query: str, name: str, chart_code: str, date_of_birth: str) -> bool:
    """True if every word of ``query`` is part of the name, chart code or date of birth."""
    haystack = f"{name}\n{chart_code}\n{date_of_birth}".lower()
    return all(_needle(token) in haystack for token in query.split())


def find_patients(session: Session, query: str = "") -> list[PatientHit]:
    """Readable patients whose name, chart code or date of birth contain every word of
    ``query`` (all of them for an empty query), by name."""
    hits = []
    for record in session.list_patients():
        name = str(record.content.get("name") or "")
        code = str(record.content.get("chart_code") or "")
        dob = str(record.content.get("date_of_birth") or "")
        if matches(query, name, code, dob):
            owner = session.patient(record.record_id).owner_id
            hits.append(PatientHit(record.record_id, name, code, dob, session.user_label(owner)))
    return sorted(hits, key=lambda h: (h.name.lower(), h.chart_code))


@dataclass(frozen=True)
class NoteRow:
    """One note of a patient's list, with the actions that fit for the unlocked user."""

    note_id: str
    version: int
    form: str
    title: str
    status: str
    session_date: str | None
    started: str
    updated: str
    signed: str
    author: str
    author_label: str
    addenda: int
    returned_comment: str
    actions: list[str]


def note_actions(view: NoteView, user_id: str) -> list[str]:
    """continue/discard an own draft, revise an own returned note, add an addendum to an own
    signed note; everyone may view."""
    mine = view.note.author == user_id
    if view.status == "draft":
        return [CONTINUE, DISCARD] if mine else [VIEW]
    if view.status == "returned" and mine:
        return [REVISE, VIEW]
    if view.status in ("signed", "cosigned") and mine:
        return [VIEW, ADDENDUM]
    return [VIEW]


def _returned_comment(view: NoteView) -> str:
    current = [r for r in view.reviews if r.note_version == view.note.version]
    return current[-1].text if view.status == "returned" and current else ""


def note_row(session: Session, view: NoteView, time_zone: str) -> NoteRow:
    note = view.note
    return NoteRow(
        note.note_id,
        note.version,
        note.form,
        note_title(view),
        view.status,
        note.session_date,
        format_timestamp(note.created_at, time_zone),
        format_timestamp(note.updated_at, time_zone),
        format_timestamp((note.signature or {}).get("signed_at"), time_zone),
        note.author,
        session.user_label(note.author),
        len(view.addenda),
        _returned_comment(view),
        note_actions(view, session.user_id),
    )


@dataclass(frozen=True)
class PatientNotes:
    """A patient, their notes (newest session first) and what can be started from here."""

    patient: PatientHit
    notes: list[NoteRow]
    #: ``{"form", "title"}`` of each note type the user may start (therapists).
    new_notes: list[dict[str, str]]
    #: Record-level actions: ``progress`` (compiled notebook) and ``export`` (PDF).
    actions: list[str] = field(default_factory=lambda: ["progress", "export"])


def patient_notes(session: Session, patient_id: str, settings: ClinicSettings) -> PatientNotes:
    """A patient's notes, newest session first (the user's own process notes included), with
    the actions that fit, and the note types the user may start (therapists)."""
    record = read_record(session, patient_id, include_process=True)
    zone = clinic_time_zone(settings)
    hit = PatientHit(
        patient_id,
        record.name,
        record.chart_code,
        str(record.profile.get("date_of_birth") or ""),
        session.user_label(session.patient(patient_id).owner_id),
    )
    rows = [note_row(session, v, zone) for v in reversed(record.views)]
    new = []
    if session.role == Role.THERAPIST:
        new = [{"form": f, "title": get_template(f).title} for f in NEW_NOTE_FORMS]
    return PatientNotes(hit, rows, new)
