"""Issue 10, observations 4 and 6 at the service layer, against a real vault.

Drafts can be discarded by their author only (audited as ``discard``; earlier versions stay
encrypted in the append-only store), never a signed note; a draft is saved only as its author,
and a save that names the user the form was opened by saves nothing under anyone else.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from kap_notes.model.patient import InvalidInput
from kap_notes.records import chart
from kap_notes.service import lifecycle, operations
from kap_notes.service.notes import get_note, list_notes
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault import audit
from kap_notes.vault.errors import NotAuthorised, SignedRecordImmutable, StaleVersion
from kap_notes.vault.session import Session
from tests.conftest import PASSPHRASES, Clinic, synthetic_patient


def _setup(clinic: Clinic) -> tuple[Session, str, dict[str, Any]]:
    tess = clinic.unlock("tess")
    patient = tess.create_patient(
        {"kind": "patient", "chart_code": "KAP-D1", "sex": "unknown", **synthetic_patient()}
    )
    answers = synthetic_course(4, start=dt.date(2026, 2, 2)).steps[0].answers
    return tess, patient, dict(answers)


def _actions(session: Session, record_id: str) -> list[tuple[str, str, int | None]]:
    """(action, actor, version) of every audit entry about ``record_id``, in order."""
    return [
        (row.action, row.actor, json.loads(row.entry).get("version"))
        for row in session.store.audit_rows()
        if row.record == record_id and row.action != "read"
    ]


def test_author_discards_a_draft_it_leaves_every_list_and_is_audited(clinic: Clinic) -> None:
    tess, patient, answers = _setup(clinic)
    kept = lifecycle.save_draft(tess, patient, "preparation", answers).ref
    draft = lifecycle.save_draft(tess, patient, "preparation", answers).ref
    draft = lifecycle.save_draft(
        tess, patient, "preparation", answers, note_id=draft.note_id, expected_version=1
    ).ref
    ref = lifecycle.discard_draft(tess, draft.note_id, draft.version)
    assert ref.version == draft.version + 1
    # gone from every list: notes, the chart, the list_notes operation
    assert [n.note_id for n in list_notes(tess, patient)] == [kept.note_id]
    assert [v.note.note_id for v in chart.chart(tess, patient).notes] == [kept.note_id]
    listed = operations.run(tess, "list_notes", {"patient_id": patient})
    assert [n["note_id"] for n in listed] == [kept.note_id]
    # audited as its own action, by its author
    tess_id = tess.user_id
    assert _actions(tess, draft.note_id)[-1] == ("discard", tess_id, draft.version + 1)
    # the earlier versions stay encrypted in the append-only store, readable by the author
    assert tess.get_record(draft.note_id, 2).content["answers"] == answers
    assert "answers" not in tess.get_record(draft.note_id).content
    # the chain verifies, and a fresh unlock (full policy replay) accepts the discard
    fresh = clinic.unlock("tess")
    report = audit.verify_chain(fresh.store, fresh.vault.vault_id)
    assert report.ok, report.problems
    # a second discard is refused clearly
    with pytest.raises(InvalidInput, match="already discarded"):
        lifecycle.discard_draft(fresh, draft.note_id, ref.version)


def test_a_signed_note_is_never_discarded(clinic: Clinic) -> None:
    tess, patient, answers = _setup(clinic)
    saved = lifecycle.save_draft(tess, patient, "preparation", answers).ref
    signed = lifecycle.sign_note(tess, saved.note_id, PASSPHRASES["tess"]).ref
    with pytest.raises(SignedRecordImmutable, match="never be discarded"):
        lifecycle.discard_draft(tess, signed.note_id, signed.version)
    with pytest.raises(SignedRecordImmutable):
        operations.run(tess, "discard_draft", {"note_id": signed.note_id, "version": 2})
    # nothing was written: still version 2, signed, listed
    note = get_note(tess, signed.note_id)
    assert (note.version, note.signature is not None) == (2, True)
    assert [n.note_id for n in list_notes(tess, patient)] == [signed.note_id]
    assert "discard" not in [a for a, _, _ in _actions(tess, signed.note_id)]


def test_only_the_author_discards_and_a_stale_version_is_refused(clinic: Clinic) -> None:
    tess, patient, answers = _setup(clinic)
    draft = lifecycle.save_draft(tess, patient, "preparation", answers).ref
    sam = clinic.unlock("sam")  # supervises tess: can read the draft, not discard it
    with pytest.raises(NotAuthorised, match="only the draft's author"):
        lifecycle.discard_draft(sam, draft.note_id, draft.version)
    with pytest.raises(StaleVersion):
        lifecycle.discard_draft(tess, draft.note_id, draft.version + 5)
    assert get_note(tess, draft.note_id).answers == answers


def test_another_user_cannot_save_over_a_draft(clinic: Clinic) -> None:
    """lifecycle.save_draft kept the old author while another user wrote: now it refuses."""
    tess, patient, answers = _setup(clinic)
    draft = lifecycle.save_draft(tess, patient, "preparation", answers).ref
    sam = clinic.unlock("sam")
    changed = {**answers, "weight_kg": 99}
    with pytest.raises(NotAuthorised, match="written by tess; only its author"):
        lifecycle.save_draft(
            sam, patient, "preparation", changed, note_id=draft.note_id, expected_version=1
        )
    note = get_note(tess, draft.note_id)
    assert (note.version, note.author, note.answers) == (1, tess.user_id, answers)


def test_save_naming_the_form_opener_saves_nothing_under_anyone_else(clinic: Clinic) -> None:
    """Observation 6: sam's form autosaves after tess unlocked: nothing is saved as tess."""
    tess, patient, answers = _setup(clinic)
    sam = clinic.unlock("sam")
    before = [n.note_id for n in list_notes(tess, patient)]
    typed = {**answers, "psychiatric_history_notes": "typed by sam"}
    request = {
        "patient_id": patient,
        "form": "preparation",
        "answers": typed,
        "expected_author": sam.user_id,
    }
    with pytest.raises(NotAuthorised, match="opened by sam; tess is now unlocked"):
        operations.run(tess, "save_draft", request)
    assert [n.note_id for n in list_notes(tess, patient)] == before
    # the same request as sam saves, as sam
    saved = operations.run(sam, "save_draft", request)
    assert saved["author"] == sam.user_id
    assert get_note(sam, saved["note_id"]).author == sam.user_id
    # and tess can neither discard sam's draft nor do it in sam's name
    with pytest.raises(NotAuthorised):
        operations.run(
            tess,
            "discard_draft",
            {"note_id": saved["note_id"], "version": 1, "expected_author": sam.user_id},
        )
    assert saved["note_id"] in [n.note_id for n in list_notes(tess, patient)]
