"""The per-patient progress notebook: header and course summary, outcome chart, score, dosing,
vitals, adverse-event, intention and flag sections, every signed note with its signatures, the
unsigned drafts apart, and a last cell that loads the live data as DataFrames.

Everything above the drafts is compiled from the signed record; a draft appears only in
"Unsigned drafts", labelled unsigned, with its author.

Layout (cell ids are ``<position>-<slug>``, so they depend only on the layout):
header · summary · for each section: heading + pre-rendered code cell · notes heading · one
markdown cell per signed note (date order) · unsigned drafts · live-data heading · live-data
code cell.
"""

from __future__ import annotations

from typing import Any

from kap_notes.compile.cells import Notebook, NotebookBuilder, md
from kap_notes.compile.data import INSTRUMENTS, PatientData, Row
from kap_notes.compile.sections import SECTIONS, shown
from kap_notes.model.times import clinic_time_zone, format_timestamp
from kap_notes.records.chart import NoteView
from kap_notes.records.display import signer_label

#: Bump when the layout changes: stored notebooks are rebuilt on the next compile.
LAYOUT_VERSION = "5"
NOTICE = (
    "Compiled from the signed record. Thresholds shown are instrument definitions or clinic "
    "settings; flags mark items for review and are not clinical advice."
)


def build_progress(data: PatientData, *, fingerprint: str, include_process: bool) -> Notebook:
    """The progress notebook of one patient (outputs rendered, nothing executed)."""
    book = NotebookBuilder()
    book.markdown("header", _header(data))
    book.markdown("summary", _summary(data))
    for slug, (title, render) in SECTIONS.items():
        book.markdown(f"{slug}-title", f"## {title}")
        source = f'from kap_notes import api\n\napi.show("{data.patient_id}", "{slug}")'
        book.code(slug, source, render(data))
    signed = [v for v in data.views if v.note.signature is not None]
    book.markdown("notes-title", f"## Signed notes in date order ({len(signed)})")
    for view in signed:
        book.markdown(f"note-{view.note.note_id}", _note(view, data))
    book.markdown("drafts-title", _drafts_title(data))
    for row in data.drafts:
        book.markdown(f"draft-{row['note_id']}", _draft(row, data))
    book.markdown(
        "live-title",
        "## Live data\nWith the vault unlocked, run the cell below to load this patient's "
        "tables as pandas DataFrames.",
    )
    book.code(
        "live-data",
        "from kap_notes import api\n\n"
        f'frames = api.patient_frames("{data.patient_id}")\n'
        "sorted(frames)",
    )
    metadata: dict[str, Any] = {
        "kind": "progress",
        "layout_version": LAYOUT_VERSION,
        "patient_id": data.patient_id,
        "chart_code": data.patient.chart_code,
        "fingerprint": fingerprint,
        "include_process": include_process,
        "note_count": len(data.views),
    }
    return book.notebook(metadata)


def _header(data: PatientData) -> str:
    patient = data.patient
    return (
        f"# Progress notebook: {md(patient.chart_code)}\n\n"
        f"**{md(patient.name)}** (born {md(patient.date_of_birth)}) · patient id "
        f"`{data.patient_id}`\n\n*{NOTICE}*"
    )


def _summary(data: PatientData) -> str:
    dates = [v.note.session_date for v in data.signed_views if v.note.session_date]
    counts = ", ".join(f"{form} {count}" for form, count in data.counts.items()) or "none"
    lines = [
        "## Course summary",
        "",
        "| | |",
        "|---|---|",
        f"| Phase | {data.phase} |",
        f"| First session | {md(min(dates)) if dates else ''} |",
        f"| Latest session | {md(max(dates)) if dates else ''} |",
        f"| Sessions by note type | {md(counts)} |",
        f"| Dosing sessions | {len(data.dosing)} |",
    ]
    routes = sorted({str(r["route"]) for r in data.dosing if r["route"]})
    if routes:
        lines.append(f"| Routes | {md(', '.join(routes))} |")
    for key, name in INSTRUMENTS.items():
        rows = [r for r in data.scores if r[key] is not None]
        if rows:
            last = rows[-1]
            band = f" ({md(last[f'{key}_band'])})" if last[f"{key}_band"] else ""
            lines.append(
                f"| {name} baseline → latest | {shown(rows[0][key])} → {shown(last[key])}"
                f"{band} on {md(last['date'])} |"
            )
    lines.append(f"| Open flags for review | {len(data.open_flags)} |")
    lines.append(f"| Unsigned drafts (not in this summary) | {len(data.drafts)} |")
    return "\n".join(lines)


def _drafts_title(data: PatientData) -> str:
    lines = [
        f"## Unsigned drafts ({len(data.drafts)})",
        "",
        "*Not part of the signed record: nothing above counts them. Their values and flags are "
        "as typed so far and are not open flags of the record; only a draft's author can sign "
        "or discard it.*",
    ]
    return "\n".join(lines if data.drafts else [*lines, "", "No unsigned drafts."])


def _draft(row: Row, data: PatientData) -> str:
    """One unsigned draft, labelled unsigned, with its author."""
    saved = format_timestamp(row["saved_at"], clinic_time_zone(data.settings))
    lines = [
        f"### UNSIGNED DRAFT · {md(row['date'] or 'undated')} · {md(row['form'])}",
        "",
        f"Note `{row['note_id']}` version {row['version']}, by {md(row['author'])}, last saved "
        f"{md(saved)}. Not signed.",
    ]
    if row["scores"]:
        lines.append(f"- Scores as typed (unsigned): {md(row['scores'])}")
    if row["flags"]:
        lines.append(
            f"- Flags as typed (unsigned, not open flags of the record): {md(row['flags'])}"
        )
    if row.get("process_note"):
        lines.append(f"- Process note: {md(row['process_note'])}")
    return "\n".join(lines)


def _note(view: NoteView, data: PatientData) -> str:
    note = view.note
    row = next(r for r in data.notes if r["note_id"] == note.note_id)
    zone = clinic_time_zone(data.settings)
    title = f"### {md(note.session_date or 'undated')} · {md(note.form)} · {view.status}"
    lines = [title, "", f"Note `{note.note_id}` version {note.version}, by {md(row['author'])}."]
    if note.signature is not None:
        check = "signature verified" if view.signature_valid else "SIGNATURE DOES NOT VERIFY"
        at = format_timestamp(row["signed_at"], zone)
        lines.append(f"- Signed by {md(row['signed_by'])} at {md(at)} ({check})")
    else:
        lines.append("- Not signed (draft)")
    names = {r["note_id"]: r for r in data.notes}
    for review in view.reviews:
        verb = "Co-signed" if review.decision == "cosign" else "Returned"
        who = signer_label(review.signature, data_name(data, review.by))
        valid = "" if review.signature_valid else " (SIGNATURE DOES NOT VERIFY)"
        at = format_timestamp(review.at, zone)
        lines.append(f"- {verb} by {md(who)} at {md(at)}{valid}: {md(review.text)}")
    for addendum in view.addenda:
        who = signer_label(addendum.signature, data_name(data, addendum.author))
        at = format_timestamp(addendum.created_at, zone)
        lines.append(f"- Addendum by {md(who)} at {md(at)}: {md(addendum.text)}")
    if view.is_process_note:  # only present when process notes were asked for
        lines.append(f"- Process note: {md(note.answers.get('process_note', ''))}")
    if view.superseded_by and view.superseded_by in names:
        lines.append(f"- Superseded by revision `{view.superseded_by}`")
    return "\n".join(lines)


def data_name(data: PatientData, user_id: str) -> str:
    """A user's name as the notebook shows it."""
    return data.names.get(user_id, user_id)
