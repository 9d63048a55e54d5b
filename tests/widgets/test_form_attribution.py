"""Issue 10, observation 6: text typed by sam was saved as tess's draft after tess unlocked the
same JupyterLab. And observation 4's "drafts can't be discarded", from the form.

The form runs against the real key agent (a KeyHolder served on a Unix socket, as in a kernel):
whoever is unlocked there is who an operation runs as. No kernel is needed.
"""

from __future__ import annotations

import datetime as dt

import kap_notes
from kap_notes.service import lifecycle
from kap_notes.service.backend import Backend
from kap_notes.service.demo import record_course
from kap_notes.service.notes import get_note, list_notes
from kap_notes.service.synthetic import synthetic_course
from kap_notes.widgets.session_form import SessionForm
from tests.agent.conftest import RunningAgent, agent
from tests.conftest import PASSPHRASES, Clinic, synthetic_patient
from tests.widgets.test_widgets_form_view import type_into

__all__ = ["agent"]  # the real agent fixture, shared with tests/agent

TYPED = "Synthetic hope typed by sam 5Q1"


def _patient(clinic: Clinic) -> str:
    tess = clinic.unlock("tess")
    return tess.create_patient(
        {"kind": "patient", "chart_code": "KAP-W1", "sex": "unknown", **synthetic_patient()}
    )


def _sams_form(clinic: Clinic, agent: RunningAgent) -> tuple[str, SessionForm]:
    patient = _patient(clinic)
    agent.holder.unlock("sam", PASSPHRASES["sam"])  # sam supervises tess: may write a draft
    form = kap_notes.open_form("intention", patient=patient, backend=Backend(agent.transport))
    assert form.opened_by is not None
    assert form.opened_by["name"] == "sam"
    assert form.view is not None
    type_into(form.view.body, "hopes", TYPED)
    assert form.view.dirty
    return patient, form


def test_autosave_after_another_user_unlocks_saves_nothing_and_says_so(
    clinic: Clinic, agent: RunningAgent
) -> None:
    patient, form = _sams_form(clinic, agent)
    view = form.view
    assert view is not None
    agent.holder.unlock("tess", PASSPHRASES["tess"])  # tess unlocks the same JupyterLab
    outcome = view.autosave_tick()
    assert outcome is not None
    assert not outcome.ok
    assert "This form was opened by sam; tess is now unlocked. Nothing was saved" in (
        view.status_text
    )
    # nothing saved under anyone's name; the typing is kept and still waits to be saved
    assert list_notes(clinic.unlock("tess"), patient) == []
    assert view.value["hopes"] == TYPED
    assert view.dirty
    # the buttons refuse too
    assert view.lifecycle is not None
    view.lifecycle.save_button.click()
    assert "Nothing was saved" in view.status_text
    view.lifecycle.sign_button.click()
    assert list_notes(clinic.unlock("tess"), patient) == []
    # once sam is back, the next autosave saves it, as sam
    agent.holder.unlock("sam", PASSPHRASES["sam"])
    saved = view.autosave_tick()
    assert saved is not None
    assert saved.ok
    (note,) = list_notes(clinic.unlock("tess"), patient)
    sam = clinic.unlock("sam")
    assert (note.author, note.answers["hopes"]) == (sam.user_id, TYPED)


def test_an_existing_draft_is_not_overwritten_after_the_user_changes(
    clinic: Clinic, agent: RunningAgent
) -> None:
    patient, form = _sams_form(clinic, agent)
    view = form.view
    assert view is not None
    first = view.save_draft()
    assert first is not None
    assert first.ok
    type_into(view.body, "hopes", "second thoughts by sam")
    agent.holder.unlock("tess", PASSPHRASES["tess"])
    assert view.autosave_tick() is not None
    (note,) = list_notes(clinic.unlock("tess"), patient)
    assert (note.version, note.answers["hopes"]) == (1, TYPED)
    assert view.value["hopes"] == "second thoughts by sam"


def test_discard_draft_has_a_confirm_step_and_removes_the_draft(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = _patient(clinic)
    form = kap_notes.open_form("intention", patient=patient, session=tess)
    view = form.view
    assert view is not None
    assert view.lifecycle is not None
    bar = view.lifecycle
    type_into(view.body, "hopes", "a draft to abandon")
    assert view.save_draft() is not None
    (draft,) = list_notes(tess, patient)
    bar.discard_button.click()
    assert bar.confirm_row.layout.display is None  # asked, nothing discarded yet
    assert [n.note_id for n in list_notes(tess, patient)] == [draft.note_id]
    bar.discard_no.click()
    assert bar.confirm_row.layout.display == "none"
    assert "Kept" in view.status_text
    assert [n.note_id for n in list_notes(tess, patient)] == [draft.note_id]
    bar.discard_button.click()
    bar.discard_yes.click()
    assert "Draft discarded" in view.status_text
    assert list_notes(tess, patient) == []
    assert "hopes" not in view.value  # the form is cleared for a new note
    assert view.autosave_tick() is None  # nothing to save: the draft does not come back
    type_into(view.body, "hopes", "a fresh start")
    again = view.save_draft()
    assert again is not None
    assert again.ok
    (fresh,) = list_notes(tess, patient)
    assert fresh.note_id != draft.note_id


def test_a_signed_note_offers_no_discard(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    course = synthetic_course(35, start=dt.date(2026, 5, 4), boosters=0)
    _, notes = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    form = kap_notes.open_form("dosing", note=notes[2], session=tess)
    assert form.view is not None
    assert form.view.lifecycle is not None
    assert form.view.lifecycle.discard_button.disabled
    outcome = form.view.discard()  # even if called directly
    assert outcome is not None
    assert not outcome.ok
    assert get_note(tess, notes[2]).signature is not None
    assert lifecycle.DISCARDED_KIND not in str(tess.get_record(notes[2]).content)
