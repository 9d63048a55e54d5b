"""A typed date-time reads the same in the notebook and in the PDF, whatever way it was typed
(issue 10: one parser and formatter; observation 5: the PDF printed only the date)."""

from __future__ import annotations

import copy
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kap_notes.compile.compiled import compile_patient
from kap_notes.export.pdf import note_pdf
from kap_notes.model.people import Role
from kap_notes.model.times import display_typed, parse_datetime
from kap_notes.records.chart import chart
from kap_notes.service import lifecycle
from kap_notes.service.demo import record_course
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault import access
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.session import Session
from kap_notes.vault.vault import Vault
from tests.compile.helpers import html_table, load
from tests.conftest import PASSPHRASES

TIMES = ("start_time", "onset_time", "peak_time", "baseline_time", "end_time", "discharge_time")


@dataclass
class Dosing:
    tess: Session
    patient_id: str
    answers: dict[str, Any]


@pytest.fixture(scope="module")
def dosing(tmp_path_factory: pytest.TempPathFactory) -> Dosing:
    path: Path = tmp_path_factory.mktemp("times") / "vault"
    created = Vault.init(
        path,
        admin_name="ada",
        admin_passphrase=PASSPHRASES["ada"],
        kdf=FAST_KDF,
        kdf_floor=FAST_KDF,
    )
    access.add_user(created.admin, "tess", Role.THERAPIST, PASSPHRASES["tess"])
    tess = created.vault.unlock("tess", PASSPHRASES["tess"])
    course = synthetic_course(3, start=dt.date(2026, 3, 2))
    patient_id, _ = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    answers = next(s.answers for s in course.steps if s.form == "dosing")
    return Dosing(tess, patient_id, dict(answers))


def _typed(value: str, shift: int, separator: str) -> str:
    moment = parse_datetime(value)
    assert moment is not None
    return (moment + dt.timedelta(minutes=shift)).strftime(f"%Y-%m-%d{separator}%H:%M")


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    shift=st.integers(min_value=-180, max_value=180),
    separator=st.sampled_from([" ", "T"]),
    onset_after=st.integers(min_value=1, max_value=59),
)
def test_a_typed_date_time_reads_the_same_in_the_notebook_and_the_pdf(
    dosing: Dosing, shift: int, separator: str, onset_after: int
) -> None:
    answers = copy.deepcopy(dosing.answers)
    for key in TIMES:
        answers[key] = _typed(answers[key], shift, separator)
    for row in answers["vitals"]:
        row["measured_at"] = _typed(row["measured_at"], shift, separator)
    onset = _typed(dosing.answers["start_time"], shift + onset_after, separator)
    answers["adverse_events"] = [
        {"ae_type": "nausea_vomiting", "ae_onset": onset, "ae_severity": "mild"}
        | {"ae_resolved": True, "ae_serious": False}
    ]
    saved = lifecycle.save_draft(dosing.tess, dosing.patient_id, "dosing", answers)
    lifecycle.sign_note(dosing.tess, saved.ref.note_id, PASSPHRASES["tess"])

    chart_ = chart(dosing.tess, dosing.patient_id)
    pdf = _pdf_text(note_pdf(dosing.tess, chart_, saved.ref.note_id))
    typed = [answers[k] for k in TIMES] + [r["measured_at"] for r in answers["vitals"]] + [onset]
    for value in typed:
        assert display_typed(value) in pdf, value

    notebook = load(compile_patient(dosing.tess, dosing.patient_id).notebook_json)
    onsets = [row["Onset"] for row in html_table(notebook, "adverse-events")]
    assert display_typed(onset) in onsets
    assert display_typed(onset) == display_typed(
        onset.replace(separator, "T" if separator == " " else " ")
    )
