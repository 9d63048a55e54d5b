"""Issue 14 item 3: a form's autosaves coalesce into the draft's sealed autosave buffer.

Audit entries per note stop growing with autosaves (one audited version when an editing session
starts, one when it closes or signs), and the trust model holds: a buffer that its author did not
write (forged by another clinician holding the patient key, moved from another draft, or rolled
back within the session) is refused, and an audited version rewritten in the database is still
detected. Real vault, SQLite, real encryption; synthetic data only.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kap_notes.service import autosave, lifecycle, operations
from kap_notes.service.notes import get_note, list_notes
from kap_notes.vault import crypto
from kap_notes.vault.errors import IntegrityError, NotAuthorised
from kap_notes.vault.session import Session
from kap_notes.vault.store import RecordRow
from kap_notes.vault.verify import verify_vault
from tests.conftest import PASSPHRASES, Clinic, synthetic_patient


def _answers(n: int) -> dict[str, object]:
    return {
        "session_datetime": "2026-03-02 10:00",
        "route": "im",
        "dose_mg": 30 + n,
        "start_time": "2026-03-02 10:05",
        "end_time": "2026-03-02 11:35",
        "vitals": [
            {"timepoint": "Before dosing", "systolic": 120, "diastolic": 80, "heart_rate": 70}
        ],
        "experience": "Synthetic narrative.",
    }


def _patient(tess: Session, code: str = "KAP-AS1") -> str:
    return tess.create_patient(
        {"kind": "patient", "chart_code": code, "sex": "unknown", **synthetic_patient()}
    )


def _writes(session: Session, record_id: str) -> list[tuple[str, int | None]]:
    return [
        (row.action, json.loads(row.entry).get("version"))
        for row in session.store.audit_rows()
        if row.record == record_id and row.action != "read"
    ]


def _edit(tess: Session, patient: str, autosaves: int) -> tuple[str, int]:
    """A form's editing session: the first save, then ``autosaves`` coalesced autosaves."""
    ref = lifecycle.save_draft(tess, patient, "dosing", _answers(0)).ref
    for n in range(1, autosaves + 1):
        saved = lifecycle.save_draft(
            tess,
            patient,
            "dosing",
            _answers(n),
            note_id=ref.note_id,
            expected_version=ref.version,
            coalesce=True,
        )
        assert saved.ref == ref  # no new version while the form is open
    return ref.note_id, ref.version


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(autosaves=st.integers(min_value=1, max_value=12))
def test_audit_entries_per_note_do_not_grow_with_autosaves(clinic: Clinic, autosaves: int) -> None:
    tess = clinic.unlock("tess")
    patient = _patient(tess)
    note_id, _version = _edit(tess, patient, autosaves)
    assert _writes(tess, note_id) == [("create", 1)]
    # the author's reload brings back the last autosave
    assert get_note(tess, note_id).answers["dose_mg"] == 30 + autosaves
    assert autosave.close(tess, note_id) == (2, True)
    assert _writes(tess, note_id) == [("create", 1), ("update", 2)]
    assert get_note(tess, note_id).answers["dose_mg"] == 30 + autosaves
    assert tess.store.get_meta(f"{autosave.PREFIX}{tess.user_id}:{note_id}") == ""
    assert not verify_vault(tess.store, tess.vault.vault_id).problems


def test_signing_carries_the_autosaves_and_empties_the_buffer(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = _patient(tess)
    note_id, version = _edit(tess, patient, 5)
    signed = lifecycle.sign_note(tess, note_id, PASSPHRASES["tess"])
    assert signed.ref.version == version + 1
    assert _writes(tess, note_id) == [("create", 1), ("sign", 2)]
    note = get_note(tess, note_id)
    assert note.signature is not None
    assert note.answers["dose_mg"] == 35
    assert autosave.close(tess, note_id) == (2, False)  # nothing left to write


def test_other_readers_see_the_audited_version_until_the_form_closes(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = _patient(tess)
    note_id, _ = _edit(tess, patient, 3)
    sam = clinic.unlock("sam")  # the supervisor holds the patient key, not tess's keys
    assert get_note(sam, note_id).answers["dose_mg"] == 30
    autosave.close(tess, note_id)
    assert get_note(sam, note_id).answers["dose_mg"] == 33


def test_a_new_session_audits_its_first_save(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = _patient(tess)
    note_id, version = _edit(tess, patient, 2)
    again = clinic.unlock("tess")  # after a lock: nothing remembered, the buffer still there
    assert get_note(again, note_id).answers["dose_mg"] == 32
    saved = lifecycle.save_draft(
        again,
        patient,
        "dosing",
        _answers(7),
        note_id=note_id,
        expected_version=version,
        coalesce=True,
    )
    assert saved.ref.version == version + 1
    assert _writes(again, note_id) == [("create", 1), ("update", 2)]


def test_discard_forgets_the_buffer(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = _patient(tess)
    note_id, version = _edit(tess, patient, 2)
    lifecycle.discard_draft(tess, note_id, version)
    assert list_notes(tess, patient) == []
    assert tess.store.get_meta(f"{autosave.PREFIX}{tess.user_id}:{note_id}") == ""


def test_operations_autosave_and_close_draft(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = _patient(tess)
    first = operations.run(
        tess, "save_draft", {"patient_id": patient, "form": "dosing", "answers": _answers(0)}
    )
    for n in (1, 2):
        again = operations.run(
            tess,
            "save_draft",
            {
                "patient_id": patient,
                "form": "dosing",
                "answers": _answers(n),
                "note_id": first["note_id"],
                "version": first["version"],
                "autosave": True,
            },
        )
        assert again["version"] == first["version"]
    shown = operations.run(tess, "get_note", {"note_id": first["note_id"]})
    assert shown["answers"]["dose_mg"] == 32  # the form reloads what was typed
    assert shown["version"] == first["version"]
    closed = operations.run(tess, "close_draft", {"note_id": first["note_id"]})
    assert closed == {"note_id": first["note_id"], "version": 2, "written": True}


# ------------------------------------------------------------------------------- attackers
def _buffer_key(session: Session, note_id: str) -> str:
    return f"{autosave.PREFIX}{session.user_id}:{note_id}"


def test_a_buffer_forged_by_another_reader_of_the_patient_is_refused(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = _patient(tess)
    note_id, version = _edit(tess, patient, 1)
    sam = clinic.unlock("sam")  # holds the patient key and can write the database
    forged = {**get_note(sam, note_id).to_record(), "answers": _answers(99)}
    autosave.write(sam, patient, note_id, version, forged)
    with sam.store.transaction():
        sam.store.set_meta(
            _buffer_key(tess, note_id), sam.store.get_meta(_buffer_key(sam, note_id)) or ""
        )
    with pytest.raises(IntegrityError):
        get_note(tess, note_id)
    with pytest.raises(IntegrityError):
        autosave.close(tess, note_id)
    assert _writes(tess, note_id) == [("create", 1)]  # nothing forged reached the record


def test_a_buffer_moved_from_another_draft_is_refused(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = _patient(tess)
    first, _ = _edit(tess, patient, 1)
    second, _ = _edit(tess, patient, 1)
    moved = tess.store.get_meta(_buffer_key(tess, first)) or ""
    with tess.store.transaction():
        tess.store.set_meta(_buffer_key(tess, second), moved)
    with pytest.raises(IntegrityError):
        get_note(tess, second)


def test_a_buffer_rolled_back_within_the_session_is_refused(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = _patient(tess)
    note_id, version = _edit(tess, patient, 1)
    older = tess.store.get_meta(_buffer_key(tess, note_id)) or ""
    lifecycle.save_draft(
        tess,
        patient,
        "dosing",
        _answers(5),
        note_id=note_id,
        expected_version=version,
        coalesce=True,
    )
    with tess.store.transaction():
        tess.store.set_meta(_buffer_key(tess, note_id), older)
    with pytest.raises(IntegrityError):
        autosave.close(tess, note_id)


def test_a_rewritten_audited_draft_row_is_still_detected(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = _patient(tess)
    note_id, _ = _edit(tess, patient, 3)
    version, _ = autosave.close(tess, note_id)
    sam = clinic.unlock("sam")
    key = sam.patient_key(patient, sam.patient(patient).epoch)
    content = {**get_note(sam, note_id).to_record(), "answers": _answers(42)}
    blob = crypto.seal_record(
        key,
        vault=sam.vault.vault_id,
        patient=patient,
        record=note_id,
        version=version + 1,
        epoch=sam.patient(patient).epoch,
        content=content,
    )
    with sam.store.transaction():
        sam.store.update_record(RecordRow(note_id, patient, version + 1, blob), version)
    with pytest.raises(IntegrityError):
        get_note(clinic.unlock("tess"), note_id)
    assert verify_vault(sam.store, sam.vault.vault_id).problems


def test_an_autosave_never_leaves_audited_writes_without_fsync(clinic: Clinic) -> None:
    """The buffer's commit does not wait for the disk; every other commit still does
    (SQLite ``synchronous=FULL`` again afterwards, also when the autosave failed)."""
    tess = clinic.unlock("tess")
    patient = _patient(tess)
    _edit(tess, patient, 2)
    db = tess.store._db  # type: ignore[attr-defined]
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    seen: list[int] = []

    def failing_autosave() -> None:
        with tess.store.transaction(durable=False):
            seen.append(db.execute("PRAGMA synchronous").fetchone()[0])
            raise RuntimeError("disk trouble")

    with pytest.raises(RuntimeError):
        failing_autosave()
    assert seen == [1]  # NORMAL inside
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_an_autosave_naming_another_patient_writes_nothing(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = _patient(tess)
    other = _patient(tess, "KAP-AS2")
    note_id, version = _edit(tess, patient, 1)
    with pytest.raises(NotAuthorised):
        lifecycle.save_draft(
            tess, other, "dosing", _answers(9), note_id=note_id, expected_version=version,
            coalesce=True,
        )  # fmt: skip
    assert get_note(tess, note_id).answers["dose_mg"] == 31
    assert get_note(tess, note_id).patient_id == patient
