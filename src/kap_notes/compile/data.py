"""One patient's notes turned into plain table rows: scores, dosing, vitals, adverse events,
intentions with the insights that followed, flags, the note timeline and the unsigned drafts.

Rows are lists of dicts with a fixed key order (the column order of the tables). Every table,
baseline, headline and open flag comes from the **signed record** only: signed notes that no
revision superseded. Unsigned drafts are listed apart (:attr:`PatientData.drafts`), labelled
unsigned with their author; their values and flags never reach a headline or the open flags.
Superseded versions stay in the timeline but not in the tables, so nothing is counted twice.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kap_notes.compile.values import (
    NoteValues,
    as_number,
    display,
    instrument_band,
    instrument_total,
    note_values,
)
from kap_notes.forms import ClinicSettings
from kap_notes.model.patient import Patient
from kap_notes.records.chart import NoteView
from kap_notes.records.derived import baseline
from kap_notes.records.display import signer_label
from kap_notes.records.outcomes import Series, instrument_labels, outcome_series, screener_risk

Row = dict[str, Any]
#: Instruments charted and tabulated, with their display names: the one list of
#: :data:`kap_notes.records.outcomes.CHARTED_INSTRUMENTS` (the PDF charts the same).
INSTRUMENTS = instrument_labels()
#: Course convention (DOMAIN.md): an induction of about six dosing sessions, then maintenance.
INDUCTION_SESSIONS = 6
#: How a draft is labelled wherever it is listed.
UNSIGNED = "unsigned draft"


def in_signed_record(view: NoteView) -> bool:
    """A signed note that no revision superseded: what summaries are compiled from."""
    return view.note.signature is not None and view.status != "superseded"


@dataclass(frozen=True)
class PatientData:
    """Everything a progress notebook shows about one patient."""

    patient_id: str
    patient: Patient
    views: list[NoteView]
    settings: ClinicSettings
    names: dict[str, str] = field(default_factory=dict)
    scores: list[Row] = field(default_factory=list)
    dosing: list[Row] = field(default_factory=list)
    vitals: list[Row] = field(default_factory=list)
    adverse_events: list[Row] = field(default_factory=list)
    intentions: list[Row] = field(default_factory=list)
    flags: list[Row] = field(default_factory=list)
    notes: list[Row] = field(default_factory=list)
    #: Unsigned drafts, apart from the signed record (never in a table, chart or headline).
    drafts: list[Row] = field(default_factory=list)
    #: Charts drawn before (key → PNG, from the stored notebook): reused, not redrawn.
    drawn: Mapping[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    @property
    def signed_views(self) -> list[NoteView]:
        """The signed record: signed notes no revision superseded, in date order."""
        return [v for v in self.views if in_signed_record(v)]

    @property
    def baselines(self) -> dict[str, float | None]:
        """Each instrument's baseline by the one rule (:func:`records.derived.baseline`)."""
        notes = [v.note for v in self.signed_views]
        found = {key: baseline(key, notes) for key in INSTRUMENTS}
        return {key: hit[0] if hit is not None else None for key, hit in found.items()}

    @functools.cached_property
    def outcomes(self) -> list[Series]:
        """The charted instruments over the signed record (:mod:`records.outcomes`), worked
        out once (the views do not change)."""
        return outcome_series(self.views)

    @property
    def phase(self) -> str:
        """preparation (no dosing yet), induction, or maintenance (boosters)."""
        if not self.dosing:
            return "preparation"
        said = any(r["phase"] == "maintenance" for r in self.dosing)
        return "maintenance" if said or len(self.dosing) > INDUCTION_SESSIONS else "induction"

    @property
    def counts(self) -> dict[str, int]:
        """Signed notes per form (superseded versions and drafts not counted)."""
        counts: dict[str, int] = {}
        for view in self.signed_views:
            counts[view.note.form] = counts.get(view.note.form, 0) + 1
        return dict(sorted(counts.items()))

    @property
    def open_flags(self) -> list[Row]:
        return [f for f in self.flags if f["review"] == "open"]


def gather(
    patient_id: str,
    patient: Patient,
    views: list[NoteView],
    names: Mapping[str, str],
    settings: ClinicSettings | None = None,
    *,
    drawn: Mapping[str, bytes] | None = None,
) -> PatientData:
    """Rows for every table, from a chart's note views (already in date order): tables from the
    signed record, drafts apart (``drawn``: charts drawn before, to reuse)."""
    data = PatientData(
        patient_id, patient, views, settings or ClinicSettings(), dict(names), drawn=drawn or {}
    )
    current = data.signed_views
    notes = [v.note for v in views]
    for view in views:
        data.notes.append(_note_row(view, names))
    for view in current:
        values = note_values(view.note, notes, data.settings)
        _add_scores(data, view, values)
        if view.note.form == "dosing":
            _add_dosing(data, view, values)
        _add_flags(data, view, values, names)
    for view in views:
        if view.note.signature is None:
            values = note_values(view.note, notes, data.settings)
            data.drafts.append(_draft_row(view, values, names))
    _add_intentions(data, current)
    _mark_outcomes(data)
    return data


def _note_row(view: NoteView, names: Mapping[str, str]) -> Row:
    note, signature = view.note, view.note.signature or {}
    cosigns = [r for r in view.reviews if r.decision == "cosign"]
    returns = [r for r in view.reviews if r.decision == "return"]
    return {
        "date": note.session_date,
        "note_id": note.note_id,
        "form": note.form,
        "version": note.version,
        "status": view.status,
        "author": names.get(note.author, note.author),
        "signed_by": signer_label(signature, names.get(str(signature.get("signer")), "")),
        "signed_at": signature.get("signed_at"),
        "signature_valid": view.signature_valid,
        "cosigned_by": ", ".join(names.get(r.by, r.by) for r in cosigns),
        "cosigned_at": cosigns[-1].at if cosigns else None,
        "returned_comment": returns[-1].text if returns else "",
        "addenda": len(view.addenda),
    }


def _draft_row(view: NoteView, values: NoteValues, names: Mapping[str, str]) -> Row:
    """A draft as the drafts list shows it: labelled unsigned, with its author."""
    note = view.note
    totals = {INSTRUMENTS[k]: instrument_total(values.computed, k) for k in INSTRUMENTS}
    typed = ", ".join(f"{name} {t:g}" for name, t in totals.items() if t is not None)
    return {
        "date": note.session_date,
        "note_id": note.note_id,
        "form": note.form,
        "version": note.version,
        "status": UNSIGNED,
        "author": names.get(note.author, note.author),
        "saved_at": note.updated_at or note.created_at,
        "scores": typed,
        "flags": "; ".join(str(f.get("message", "")) for f in values.flags),
        # only present when process notes were asked for (the author's own edition)
        "process_note": note.answers.get("process_note", "") if view.is_process_note else "",
    }


def _add_scores(data: PatientData, view: NoteView, values: NoteValues) -> None:
    totals = {key: instrument_total(values.computed, key) for key in INSTRUMENTS}
    risk = screener_risk(values.computed)
    if all(t is None for t in totals.values()) and risk is None:
        return
    phq9_answers = view.note.answers.get("phq9")
    item9 = as_number(phq9_answers.get("phq9_9")) if isinstance(phq9_answers, Mapping) else None
    row: Row = {"date": view.note.session_date, "note_id": view.note.note_id}
    row["form"], row["status"] = view.note.form, view.status
    for key in INSTRUMENTS:
        row[key] = totals[key]
        row[f"{key}_band"] = instrument_band(values.computed, key)
    row["phq9_item9"] = item9
    row["cssrs_risk"] = risk
    data.scores.append(row)


#: What each instrument's rule says per score row (``<instrument>_<kind>``; None = no rule).
OUTCOME_KINDS = ("change", "change_pct", "response", "remission", "reliable", "meaningful")


def _mark_outcomes(data: PatientData) -> None:
    """Each score row's change from baseline and what the instrument's published rule says
    (:mod:`records.outcomes`); ``phq9_change_pct``/``response``/``remission`` are PHQ-9's."""
    points = {(s.instrument, p.note_id): p for s in data.outcomes for p in s.points}
    for row in data.scores:
        for key in INSTRUMENTS:
            point = points.get((key, row["note_id"]))
            for kind in OUTCOME_KINDS:
                row[f"{key}_{kind}"] = getattr(point, kind) if point is not None else None
        row["response"], row["remission"] = row["phq9_response"], row["phq9_remission"]


def _minutes(start: Any, at: Any) -> float | None:
    try:
        begin, when = dt.datetime.fromisoformat(str(start)), dt.datetime.fromisoformat(str(at))
    except ValueError:
        return None
    return (when - begin).total_seconds() / 60


def _add_dosing(data: PatientData, view: NoteView, values: NoteValues) -> None:
    note, answers = view.note, view.note.answers
    vitals = [r for r in answers.get("vitals") or [] if isinstance(r, Mapping)]
    events = [r for r in answers.get("adverse_events") or [] if isinstance(r, Mapping)]
    for row in vitals:
        data.vitals.append(
            {
                "date": note.session_date,
                "note_id": note.note_id,
                "timepoint": row.get("timepoint"),
                "measured_at": row.get("measured_at"),
                "minutes": _minutes(answers.get("start_time"), row.get("measured_at")),
                **{k: as_number(row.get(k)) for k in _VITALS},
                "source": display("dosing", "vitals_source", row.get("vitals_source")),
            }
        )
    peak = max(vitals, key=lambda r: as_number(r.get("systolic")) or 0, default=None)
    event_names = [display("dosing", "ae_type", e.get("ae_type")) for e in events]
    data.dosing.append(
        {
            "date": note.session_date,
            "note_id": note.note_id,
            "session_number": as_number(answers.get("session_number")),
            "phase": answers.get("session_phase"),
            "route": display("dosing", "route", answers.get("route")),
            "dose_mg": as_number(answers.get("dose_mg")),
            "dose_mg_per_kg": as_number(values.computed.get("dose_mg_per_kg")),
            "peak_bp": f"{peak.get('systolic')}/{peak.get('diastolic')}" if peak else "",
            "moaas": instrument_total(values.computed, "moaas"),
            "cadss": instrument_total(values.computed, "cadss"),
            "adverse_events": ", ".join(event_names),
            "status": view.status,
        }
    )
    for event in events:
        data.adverse_events.append(
            {
                "date": note.session_date,
                "note_id": note.note_id,
                "event": display("dosing", "ae_type", event.get("ae_type")),
                "severity": display("dosing", "ae_severity", event.get("ae_severity")),
                "onset": display("dosing", "ae_onset", event.get("ae_onset")),
                "intervention": event.get("ae_intervention") or "",
                "rescue_medicine": event.get("ae_rescue_medicine") or "",
                "resolved": event.get("ae_resolved"),
                "serious": event.get("ae_serious"),
            }
        )


_VITALS = ("systolic", "diastolic", "heart_rate", "spo2", "resp_rate")


def _add_flags(
    data: PatientData, view: NoteView, values: NoteValues, names: Mapping[str, str]
) -> None:
    cosigned = [names.get(r.by, r.by) for r in view.reviews if r.decision == "cosign"]
    for flag in values.flags:
        data.flags.append(
            {
                "date": view.note.session_date,
                "note_id": view.note.note_id,
                "form": view.note.form,
                "flag": flag.get("id"),
                "message": flag.get("message"),
                "review": f"co-signed by {', '.join(cosigned)}" if cosigned else "open",
            }
        )


def _add_intentions(data: PatientData, views: list[NoteView]) -> None:
    """Each intention beside the insights of the integration sessions until the next intention."""
    current: list[Row] = []
    for view in views:
        answers = view.note.answers
        if view.note.form == "intention":
            current = []
            for entry in answers.get("intentions") or []:
                text = entry.get("intention") if isinstance(entry, Mapping) else None
                row: Row = {"date": view.note.session_date, "intention": text, "insights": []}
                current.append(row)
                data.intentions.append(row)
        elif view.note.form == "integration" and answers.get("insights"):
            insight = {"date": view.note.session_date, "text": str(answers["insights"])}
            for row in current:
                row["insights"].append(insight)
