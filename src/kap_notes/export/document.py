"""The data a PDF shows: a note (answers, scores, signatures, addenda, reviews) or a whole record.

Everything here is plain JSON-friendly dicts; rendering happens in :mod:`kap_notes.export.render`.
Values computed at signing (stored with the signed note) are shown as signed; drafts are assessed
against their template now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kap_notes.export.sections import instrument_scores, note_blocks, score_text
from kap_notes.forms import ClinicSettings
from kap_notes.model.note import Note
from kap_notes.model.patient import Patient
from kap_notes.model.times import DEFAULT_ZONE, format_timestamp
from kap_notes.records.chart import Chart, NoteView
from kap_notes.records.derived import definition_of, derived_values
from kap_notes.records.display import signer_label
from kap_notes.records.outcomes import in_signed_record

NameOf = Callable[[str], str]
"""A user id → that user as shown beside signatures (``Session.user_label``)."""

DECISIONS = {"cosign": "Co-signed", "return": "Returned"}
STATUSES = {
    "draft": "Draft (unsigned)",
    "signed": "Signed, awaiting co-signature",
    "cosigned": "Signed and co-signed",
    "returned": "Returned by supervisor",
    "superseded": "Superseded by a revision",
}

__all__ = ["NameOf", "definition_of", "note_document", "note_results", "patient_document"]


def note_results(
    note: Note, others: list[Note], settings: ClinicSettings | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(computed values, flags): frozen at signing, else as of the draft's session under the
    clinic ``settings`` (callers pass the vault's: ``session.clinic_settings()[0]``)."""
    derived = derived_values(note, others, settings)
    return derived.computed, derived.flags


def _signature(view: NoteView, name_of: NameOf, time_zone: str) -> dict[str, Any] | None:
    block = view.note.signature
    if not block:
        return None
    return {
        "name": signer_label(block, name_of(str(block.get("signer")))),
        "at": format_timestamp(block.get("signed_at"), time_zone),
        "valid": view.signature_valid,
    }


def note_document(
    view: NoteView,
    name_of: NameOf,
    others: list[Note],
    time_zone: str = DEFAULT_ZONE,
    *,
    settings: ClinicSettings | None = None,
) -> dict[str, Any]:
    """One note as the report templates expect it (system times shown in ``time_zone``; a
    draft's flags under the clinic ``settings``)."""
    note = view.note
    definition = definition_of(note)
    computed, flags = note_results(note, others, settings)
    scores = [
        {"title": s["title"], "value": score_text(s)}
        for s in instrument_scores(definition, computed)
    ]
    return {
        "note_id": note.note_id,
        "version": note.version,
        "title": definition.title,
        "template": definition.canonical,
        "session_date": note.session_date or "",
        "status": STATUSES.get(view.status, view.status),
        "author": name_of(note.author),
        "process": view.is_process_note,
        "scores": scores,
        "flags": [str(f.get("message", "")) for f in flags],
        "blocks": note_blocks(definition, note.answers, computed),
        "signature": _signature(view, name_of, time_zone),
        "addenda": [
            {
                "author": signer_label(a.signature, name_of(a.author)),
                "at": format_timestamp(a.created_at, time_zone),
                "text": a.text,
                "valid": a.signature_valid,
            }
            for a in view.addenda
        ],
        "reviews": [
            {
                "decision": DECISIONS.get(r.decision, r.decision),
                "by": signer_label(r.signature, name_of(r.by)),
                "at": format_timestamp(r.at, time_zone),
                "text": r.text,
                "version": r.note_version,
                "valid": r.signature_valid,
            }
            for r in view.reviews
        ],
        "superseded_by": view.superseded_by or "",
    }


def patient_document(chart: Chart) -> dict[str, Any]:
    """The demographics block shown on the first page."""
    patient: Patient = chart.patient
    return {
        "chart_code": patient.chart_code,
        "name": patient.name,
        "date_of_birth": patient.date_of_birth,
        "sex": patient.sex,
    }


def notes_in(chart: Chart) -> list[Note]:
    """The chart's notes as plain models (context for assessing drafts)."""
    return [v.note for v in chart.notes]


def outcome_rows(chart: Chart) -> list[dict[str, Any]]:
    """Every scored instrument across the signed record (signed notes no revision superseded;
    drafts are shown as drafts, never in this summary): date, instrument, total, band, range."""
    notes = notes_in(chart)
    rows = []
    for view in chart.notes:
        if not in_signed_record(view):
            continue
        computed, _ = note_results(view.note, notes)
        for score in instrument_scores(definition_of(view.note), computed):
            rows.append({"date": view.note.session_date or "", **score})
    return rows


def outcome_table(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Instrument totals pivoted to one line per date: ``{header, rows}`` ("12 (Moderate)")."""
    titles = list(dict.fromkeys(str(r["title"]) for r in rows))
    by_date: dict[str, dict[str, str]] = {}
    for row in rows:
        by_date.setdefault(str(row["date"]), {})[str(row["title"])] = score_text(row)
    return {
        "header": ["Date", *titles],
        "rows": [[day, *(cells.get(t, "") for t in titles)] for day, cells in by_date.items()],
    }


def user_names(lookup: Callable[[str], Any]) -> NameOf:
    """A cached :data:`NameOf` over a store's ``get_user`` (falls back to the id)."""
    cache: dict[str, str] = {}

    def name_of(user_id: str) -> str:
        if user_id not in cache:
            row = lookup(user_id)
            cache[user_id] = str(row.name) if row is not None else user_id
        return cache[user_id]

    return name_of


def contents(notes: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """The record's table of contents: date, note, author, status."""
    return [[n["session_date"], n["title"], n["author"], n["status"]] for n in notes]
