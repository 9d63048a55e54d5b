"""A real vault holding one synthetic course (tess's patient), partly co-signed by sam, with an
addendum and a process note."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from kap_notes import api
from kap_notes.service import lifecycle, review
from kap_notes.service.demo import record_course
from kap_notes.service.synthetic import Course, synthetic_course
from kap_notes.vault.session import Session
from tests.conftest import PASSPHRASES, Clinic

#: im route (weight-based dose), PTSD (PCL-5), one adverse event, PHQ-9 item 9 answered 1.
SEED = 12
ADDENDUM = "Addendum: synthetic follow-up call, patient well"
PROCESS_TEXT = "Synthetic countertransference musing 7Q2"


@dataclass
class Course12:
    clinic: Clinic
    tess: Session
    sam: Session
    course: Course
    patient_id: str
    note_ids: list[str]
    cosigned: list[str]
    process_note_id: str


@pytest.fixture
def recorded(clinic: Clinic) -> Course12:
    tess = clinic.unlock("tess")
    course = synthetic_course(SEED, start=dt.date(2026, 1, 5))
    patient_id, note_ids = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    lifecycle.add_addendum(tess, note_ids[2], ADDENDUM, passphrase=PASSPHRASES["tess"])
    process = lifecycle.save_draft(
        tess,
        patient_id,
        "process-note",
        {"session_datetime": "2026-01-19T12:00", "process_note": PROCESS_TEXT},
    )
    sam = clinic.unlock("sam")
    cosigned = note_ids[:4]
    for note_id in cosigned:
        review.cosign(sam, note_id, passphrase=PASSPHRASES["sam"])
    return Course12(clinic, tess, sam, course, patient_id, note_ids, cosigned, process.ref.note_id)


@pytest.fixture(autouse=True)
def _forget_api_session() -> object:
    yield None
    api.use_session(None)
