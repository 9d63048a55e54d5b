"""PDF export of one note or a whole record: gather, render in memory, protect, audit.

Process notes (psychotherapy notes) are left out unless ``include_process`` is set. The PDF is
protected with AES-256; without a passphrase from the caller a random one is made, returned once
in :class:`PdfExport` and never stored. Every export is one ``export`` audit entry (ids only).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kap_notes.export.charts import outcome_chart_png
from kap_notes.export.document import (
    contents,
    note_document,
    notes_in,
    outcome_rows,
    outcome_table,
    patient_document,
)
from kap_notes.export.protect import new_passphrase, protect_pdf
from kap_notes.export.render import render_pdf
from kap_notes.model.patient import InvalidInput
from kap_notes.model.times import clinic_time_zone, format_timestamp
from kap_notes.records.chart import Chart, chart
from kap_notes.records.outcomes import outcome_series
from kap_notes.vault.audit import utc_now
from kap_notes.vault.errors import UnknownRecord
from kap_notes.vault.session import Session

__all__ = ["PdfExport", "export_note_pdf", "export_record_pdf", "note_pdf", "record_pdf"]


@dataclass(frozen=True)
class PdfExport:
    """A protected PDF and the passphrase that opens it (show it once; it is not kept)."""

    pdf: bytes = field(repr=False)
    passphrase: str = field(repr=False)
    patient_id: str
    note_id: str | None
    generated_passphrase: bool


def _header(session: Session, chart_: Chart, title: str, time_zone: str) -> dict[str, object]:
    return {
        "title": title,
        "patient": patient_document(chart_),
        "exported_at": format_timestamp(utc_now(), time_zone),
        "exported_by": session.user_label(session.user_id),
    }


def note_pdf(session: Session, chart_: Chart, note_id: str) -> bytes:
    """Unprotected PDF bytes of one note of ``chart_`` (in memory; not audited)."""
    view = next((v for v in chart_.notes if v.note.note_id == note_id), None)
    if view is None:
        raise UnknownRecord(
            f"no note {note_id} in this record (process notes need --include-process)"
        )
    settings = session.clinic_settings()[0]  # the vault's clinic settings, as on every path
    zone = clinic_time_zone(settings)
    document = note_document(view, session.user_label, notes_in(chart_), zone, settings=settings)
    data = {**_header(session, chart_, f"{document['title']} note", zone), "note": document}
    return render_pdf("note", data)


def record_pdf(session: Session, chart_: Chart, *, include_process: bool = False) -> bytes:
    """Unprotected PDF bytes of a whole record with its outcome chart (in memory; not audited)."""
    others = notes_in(chart_)
    settings = session.clinic_settings()[0]  # the vault's clinic settings, as on every path
    zone = clinic_time_zone(settings)
    notes = [
        note_document(v, session.user_label, others, zone, settings=settings) for v in chart_.notes
    ]
    outcomes = outcome_rows(chart_)
    data = {
        **_header(session, chart_, "Clinical record", zone),
        "include_process": include_process,
        "contents": contents(notes),
        "notes": notes,
        "outcome_chart": outcome_chart_png(outcome_series(chart_.notes)),
        "outcomes": outcome_table(outcomes),
    }
    return render_pdf("record", data)


def _finish(
    session: Session, pdf: bytes, patient_id: str, note_id: str | None, passphrase: str | None
) -> PdfExport:
    secret = passphrase if passphrase is not None else new_passphrase()
    protected = protect_pdf(pdf, secret)
    session.log("export", patient_id, note_id)
    return PdfExport(protected, secret, patient_id, note_id, passphrase is None)


def export_note_pdf(
    session: Session,
    note_id: str,
    *,
    passphrase: str | None = None,
    include_process: bool = False,
) -> PdfExport:
    """One note (with its addenda and reviews) as a protected PDF. Audited."""
    chart_ = chart(session, session.patient_of(note_id), include_process=True)
    view = next((v for v in chart_.notes if v.note.note_id == note_id), None)
    if view is None:
        raise InvalidInput([f"{note_id} is not a note"])
    if view.is_process_note and not include_process:
        raise InvalidInput(
            [
                f"{note_id} is a psychotherapy process note; export it only if you mean to "
                "(include process notes explicitly)"
            ]
        )
    return _finish(
        session, note_pdf(session, chart_, note_id), chart_.patient_id, note_id, passphrase
    )


def export_record_pdf(
    session: Session,
    patient_id: str,
    *,
    passphrase: str | None = None,
    include_process: bool = False,
) -> PdfExport:
    """A patient's whole record as a protected PDF; process notes only if asked. Audited."""
    chart_ = chart(session, patient_id, include_process=include_process)
    pdf = record_pdf(session, chart_, include_process=include_process)
    return _finish(session, pdf, patient_id, None, passphrase)
