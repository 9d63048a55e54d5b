"""The clinic overview notebook for a supervisor: their patients with phase and latest scores,
notes waiting for their co-signature, and open flags.

Scores, phases and open flags come from the signed record only; unsigned drafts are only counted
(and their flags are never open flags of the record).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from kap_notes.compile.cells import Notebook, NotebookBuilder, Output
from kap_notes.compile.compiled import load_patient_data
from kap_notes.compile.data import INSTRUMENTS, PatientData, Row
from kap_notes.compile.progress import LAYOUT_VERSION, NOTICE
from kap_notes.compile.sections import table
from kap_notes.forms import ClinicSettings
from kap_notes.model.people import Role
from kap_notes.model.times import DEFAULT_ZONE, clinic_time_zone, format_timestamp
from kap_notes.records.queue import review_queue
from kap_notes.vault.session import Session

_PATIENT_COLUMNS = {
    "chart_code": "Chart code",
    "name": "Name",
    "phase": "Phase",
    "dosing_sessions": "Dosing sessions",
    "last_phq9": "Last PHQ-9",
    "last_phq9_band": "PHQ-9 band",
    "last_gad7": "Last GAD-7",
    "last_pcl5": "Last PCL-5",
    "last_score_date": "Last scored",
    "awaiting_cosign": "Awaiting co-sign",
    "open_flags": "Open flags",
    "unsigned_drafts": "Unsigned drafts",
}
_PENDING_COLUMNS = {
    "chart_code": "Chart code",
    "session_date": "Session date",
    "form": "Note",
    "author": "Author",
    "signed_at": "Signed at",
    "note_id": "Note id",
}
_FLAG_COLUMNS = {"chart_code": "Chart code", "date": "Date", "message": "Flag (for review)"}


@dataclass(frozen=True)
class Overview:
    """Rows of the three overview tables."""

    patients: list[Row] = field(default_factory=list)
    pending: list[Row] = field(default_factory=list)
    flags: list[Row] = field(default_factory=list)
    #: The clinic time zone signing times are shown in (clinic setting).
    time_zone: str = DEFAULT_ZONE


def _last(data: PatientData, key: str) -> Row | None:
    return next((r for r in reversed(data.scores) if r[key] is not None), None)


def _patient_row(data: PatientData, pending: int) -> Row:
    phq9 = _last(data, "phq9")
    row: Row = {
        "chart_code": data.patient.chart_code,
        "name": data.patient.name,
        "phase": data.phase,
        "dosing_sessions": len(data.dosing),
        "last_phq9": phq9["phq9"] if phq9 else None,
        "last_phq9_band": phq9["phq9_band"] if phq9 else None,
    }
    for key in INSTRUMENTS:
        if key != "phq9":
            last = _last(data, key)
            row[f"last_{key}"] = last[key] if last else None
    row["last_score_date"] = data.scores[-1]["date"] if data.scores else None
    row["awaiting_cosign"] = pending
    row["open_flags"] = len(data.open_flags)
    row["unsigned_drafts"] = len(data.drafts)
    return row


def gather_overview(session: Session, settings: ClinicSettings | None = None) -> Overview:
    """The overview of every patient this user can open (one audited read each)."""
    settings = settings or session.clinic_settings()[0]  # the vault's clinic settings
    overview = Overview(time_zone=clinic_time_zone(settings))
    patient_ids = [p for p in session.readable_patients() if session.has_access(p)]
    patients = {p: load_patient_data(session, p, settings=settings) for p in patient_ids}
    if session.role is Role.SUPERVISOR:
        queue: list[Row] = [
            {"patient_id": q.patient_id, "note_id": q.note_id, "form": q.form,
             "session_date": q.session_date, "author": q.author, "signed_at": q.signed_at}
            for q in review_queue(session)
        ]  # fmt: skip
    else:
        queue = [
            {"patient_id": pid, "note_id": r["note_id"], "form": r["form"],
             "session_date": r["date"], "author": r["author"], "signed_at": r["signed_at"]}
            for pid, data in patients.items() for r in data.notes if r["status"] == "signed"
        ]  # fmt: skip
    for data in sorted(patients.values(), key=lambda d: (d.patient.chart_code, d.patient_id)):
        waiting = [q for q in queue if q["patient_id"] == data.patient_id]
        overview.patients.append(_patient_row(data, len(waiting)))
        code = data.patient.chart_code
        overview.flags.extend({"chart_code": code, **f} for f in data.open_flags)
        for item in waiting:
            author = data.names.get(item["author"], item["author"])
            overview.pending.append({**item, "chart_code": code, "author": author})
    overview.pending.sort(key=lambda q: (q["signed_at"], q["note_id"]))
    return overview


OVERVIEW_SECTIONS = {
    "patients": "Patients",
    "pending": "Notes awaiting your co-signature",
    "flags": "Open flags for review",
}


def overview_outputs(overview: Overview, section: str) -> list[Output]:
    """The pre-rendered output of one overview section."""
    if section == "patients":
        return [table(overview.patients, _PATIENT_COLUMNS)]
    if section == "pending":
        pending = [
            {**q, "signed_at": format_timestamp(q["signed_at"], overview.time_zone)}
            for q in overview.pending
        ]
        return [table(pending, _PENDING_COLUMNS, "Nothing.")]
    return [table(overview.flags, _FLAG_COLUMNS, "No open flags.")]


def build_overview(session: Session, settings: ClinicSettings | None = None) -> Notebook:
    """The clinic overview notebook for the session's user."""
    overview = gather_overview(session, settings)
    book = NotebookBuilder()
    book.markdown(
        "header",
        f"# Clinic overview\n\n{len(overview.patients)} patients · "
        f"{len(overview.pending)} notes awaiting co-signature · "
        f"{len(overview.flags)} open flags\n\n*{NOTICE}*",
    )
    for slug, title in OVERVIEW_SECTIONS.items():
        book.markdown(f"{slug}-title", f"## {title}")
        source = f'from kap_notes import api\n\napi.show_overview("{slug}")'
        book.code(slug, source, overview_outputs(overview, slug))
    basis = json.dumps([overview.patients, overview.pending, overview.flags], sort_keys=True)
    metadata = {
        "kind": "overview",
        "layout_version": LAYOUT_VERSION,
        "fingerprint": hashlib.sha256(basis.encode()).hexdigest(),
    }
    return book.notebook(metadata)
