"""Issue 14 item 6: a session does not decrypt the same stored version twice (reads in the key
holder are CPU-bound: every get_note, patient view and My day decrypted the whole patient again).

What is kept is keyed by where the blob is, its version and its SHA-256, and used only after the
same checks against the verified log: a version rewritten in the database is still refused, each
read gets its own copy, and locking forgets everything kept. Real vault, real encryption.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kap_notes.service import lifecycle
from kap_notes.service.notes import list_notes
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault import crypto
from kap_notes.vault.errors import IntegrityError, VaultLocked
from kap_notes.vault.session import Session
from kap_notes.vault.store import RecordRow
from tests.conftest import Clinic, synthetic_patient


def _patient_with_notes(tess: Session) -> tuple[str, list[str]]:
    patient = tess.create_patient(
        {"kind": "patient", "chart_code": "KAP-RC1", "sex": "unknown", **synthetic_patient()}
    )
    course = synthetic_course(3, start=dt.date(2026, 1, 5))
    ids = [
        lifecycle.save_draft(tess, patient, step.form, step.answers).ref.note_id
        for step in course.steps[:4]
    ]
    return patient, ids


def _count_decrypts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = crypto.open_record

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(crypto, "open_record", counted)
    return calls


def test_a_second_read_decrypts_nothing_and_gets_its_own_copy(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient, ids = _patient_with_notes(clinic.unlock("tess"))
    tess = clinic.unlock("tess")  # a new session: nothing decrypted yet
    calls = _count_decrypts(monkeypatch)
    first = tess.read_patient(patient)
    assert calls[0] == len(ids) + 1  # the profile and every note
    first[1].content["answers"]["tampered_in_memory"] = True
    again = tess.read_patient(patient)
    assert calls[0] == len(ids) + 1  # nothing decrypted again
    assert [r.content for r in again] != [r.content for r in first]
    assert all("tampered_in_memory" not in r.content.get("answers", {}) for r in again)
    assert sorted(n.note_id for n in list_notes(tess, patient)) == sorted(ids)


def test_a_new_version_is_decrypted_once(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    tess = clinic.unlock("tess")
    patient, ids = _patient_with_notes(tess)
    tess.read_patient(patient)
    calls = _count_decrypts(monkeypatch)
    step = synthetic_course(3, start=dt.date(2026, 1, 5)).steps[0]
    lifecycle.save_draft(
        tess, patient, step.form, {**step.answers, "x": 1}, note_id=ids[0], expected_version=1
    )
    tess.read_patient(patient)
    tess.read_patient(patient)
    assert calls[0] == 1


def test_a_version_rewritten_in_the_database_is_refused_though_it_was_kept(
    clinic: Clinic,
) -> None:
    tess = clinic.unlock("tess")
    patient, ids = _patient_with_notes(tess)
    tess.read_patient(patient)  # every version kept
    theo_like = clinic.unlock("sam")  # a reader of the patient who can write the database
    epoch = theo_like.patient(patient).epoch
    key = theo_like.patient_key(patient, epoch)
    stored = tess.get_record(ids[0])
    forged = crypto.seal_record(
        key, vault=tess.vault.vault_id, patient=patient, record=ids[0], version=1,
        epoch=epoch, content={**stored.content, "answers": {"forged": True}},
    )  # fmt: skip
    with tess.store.transaction():
        tess.store._write(  # type: ignore[attr-defined]
            "UPDATE record_versions SET blob = ? WHERE record_id = ? AND version = 1",
            (forged, ids[0]),
        )
    assert tess.store.get_record(ids[0]) == RecordRow(ids[0], patient, 1, forged)
    with pytest.raises(IntegrityError):
        tess.read_patient(patient)


def test_locking_forgets_what_was_decrypted(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient, _ = _patient_with_notes(tess)
    tess.read_patient(patient)
    assert tess._opened
    tess.lock()
    assert not tess._opened
    with pytest.raises(VaultLocked):
        tess.read_patient(patient)
