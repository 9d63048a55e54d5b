"""A patient's rows as pandas DataFrames, with the same columns every time (even when empty)."""

from __future__ import annotations

import pandas as pd

from kap_notes.compile.data import PatientData, Row

COLUMNS: dict[str, tuple[str, ...]] = {
    "scores": (
        "date",
        "note_id",
        "form",
        "status",
        "phq9",
        "phq9_band",
        "phq9_item9",
        "phq9_change_pct",
        "response",
        "remission",
        "gad7",
        "gad7_band",
        "pcl5",
        "pcl5_band",
    ),
    "dosing": (
        "date",
        "note_id",
        "session_number",
        "phase",
        "route",
        "dose_mg",
        "dose_mg_per_kg",
        "peak_bp",
        "moaas",
        "cadss",
        "adverse_events",
        "status",
    ),
    "vitals": (
        "date",
        "note_id",
        "timepoint",
        "measured_at",
        "minutes",
        "systolic",
        "diastolic",
        "heart_rate",
        "spo2",
        "resp_rate",
    ),
    "adverse_events": (
        "date",
        "note_id",
        "event",
        "severity",
        "onset",
        "intervention",
        "rescue_medicine",
        "resolved",
        "serious",
    ),
    "flags": ("date", "note_id", "form", "flag", "message", "review"),
    "notes": (
        "date",
        "note_id",
        "form",
        "version",
        "status",
        "author",
        "signed_by",
        "signed_at",
        "signature_valid",
        "cosigned_by",
        "cosigned_at",
        "returned_comment",
        "addenda",
    ),
}


def frame(rows: list[Row], name: str) -> pd.DataFrame:
    """``rows`` as a DataFrame with the named table's columns, in order."""
    return pd.DataFrame(rows, columns=list(COLUMNS[name]))


def patient_frames(data: PatientData) -> dict[str, pd.DataFrame]:
    """scores, dosing, vitals, adverse_events, flags and notes of one patient."""
    return {
        "scores": frame(data.scores, "scores"),
        "dosing": frame(data.dosing, "dosing"),
        "vitals": frame(data.vitals, "vitals"),
        "adverse_events": frame(data.adverse_events, "adverse_events"),
        "flags": frame(data.flags, "flags"),
        "notes": frame(data.notes, "notes"),
    }
