"""Issue 11, observations 1 and 2: notes reopen from the interface (``open_note``: continue a
draft, revise a returned note, addendum on a signed one) and the form tab's kernel side
(``widgets.host``) tells the tab which note to reopen after a reload and saves before closing.

Real vault, real service; the comm is a recording stand-in (no kernel needed).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

import kap_notes
from kap_notes.service import review
from kap_notes.service.backend import Backend, LocalTransport
from kap_notes.service.demo import record_course
from kap_notes.service.notes import get_note, list_notes
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault.session import Session
from kap_notes.widgets import host
from kap_notes.widgets.session_form import AUTOSAVE_SECONDS, SessionForm, open_note
from tests.conftest import PASSPHRASES, Clinic
from tests.widgets.test_widgets_form_view import type_into


class RecordingComm:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.handler: Any = None

    def send(self, data: Any = None) -> None:
        self.sent.append(data)

    def on_msg(self, callback: Any) -> None:
        self.handler = callback

    def message(self, data: dict[str, Any]) -> None:
        self.handler({"content": {"data": data}})


def _course(clinic: Clinic, seed: int) -> tuple[Session, str, list[str]]:
    tess = clinic.unlock("tess")
    course = synthetic_course(seed, start=dt.date(2026, 5, 4), boosters=0)
    patient, notes = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    return tess, patient, notes


def test_autosave_is_a_few_seconds() -> None:
    assert 1 <= AUTOSAVE_SECONDS <= 5


def test_open_note_continues_a_draft_and_saves_to_the_same_note(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    first = kap_notes.open_form("intention", patient=_patient(tess), session=tess)
    assert first.view is not None
    seen: list[str | None] = []
    first.note_listeners.append(seen.append)
    type_into(first.view.body, "hopes", "first words")
    assert first.flush()
    assert first.note_id is not None
    assert seen == [first.note_id]  # the tab learns the note id at the first save

    again = kap_notes.open_note(first.note_id, session=tess)
    assert again.view is not None
    assert again.note_id == first.note_id
    assert again.view.value["hopes"] == "first words"
    type_into(again.view.body, "hopes", "first words, continued")
    assert again.flush()
    note = get_note(tess, first.note_id)
    assert (note.version, note.answers["hopes"]) == (2, "first words, continued")
    assert again.flush()  # nothing changed: nothing saved
    assert get_note(tess, first.note_id).version == 2


def test_open_note_on_a_returned_note_opens_its_revision_once(clinic: Clinic) -> None:
    tess, patient, notes = _course(clinic, 41)
    sam = clinic.unlock("sam")
    review.return_note(sam, notes[2], "Please add the escort name", passphrase=PASSPHRASES["sam"])

    form = open_note(notes[2], session=tess)
    assert form.view is not None
    revision = form.note_id
    assert revision is not None
    assert revision != notes[2]
    assert not form.view.locked  # a draft to edit
    returned = get_note(tess, notes[2]).answers
    assert {k: form.view.value.get(k) for k in ("dose_mg", "experience", "route")} == {
        k: returned.get(k) for k in ("dose_mg", "experience", "route")
    }
    assert "The supervisor asked: Please add the escort name" in form.message.value
    # opening the returned note again continues the same revision
    assert open_note(notes[2], session=tess).note_id == revision
    drafts = [n for n in list_notes(tess, patient) if n.signature is None]
    assert [n.note_id for n in drafts] == [revision]


def test_open_note_on_a_signed_note_offers_only_the_addendum(clinic: Clinic) -> None:
    tess, _, notes = _course(clinic, 42)
    form = open_note(notes[1], session=tess)
    assert form.view is not None
    assert form.view.locked
    assert form.view.lifecycle is not None
    assert form.view.lifecycle.addendum_row.layout.display is None
    assert form.view.lifecycle.save_button.disabled


def test_host_tells_the_tab_the_widget_and_note_and_flushes_on_request(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = _patient(tess)
    spec = json.dumps({"kind": "form", "form": "intention", "patient": patient})
    served = host.serve(spec, backend=Backend(LocalTransport(tess)), register=False)
    assert host.current() is served
    form = served.view
    assert isinstance(form, SessionForm)
    comm = RecordingComm()
    served.attach(comm)
    assert comm.sent == [
        {
            "state": {
                "model_id": form.widget.model_id,
                "kind": "form",
                "form": "intention",
                "note_id": None,
                "writes": 0,
            }
        }
    ]
    assert form.view is not None
    type_into(form.view.body, "hopes", "typed just before closing")
    comm.message({"action": "flush"})
    note_id = form.note_id
    assert note_id is not None
    assert comm.sent[-2]["state"]["note_id"] == note_id  # sent as soon as the note exists
    assert comm.sent[-1]["flushed"] is True
    assert comm.sent[-1]["state"]["writes"] == 1  # the save is counted: the panel refreshes
    assert get_note(tess, note_id).answers["hopes"] == "typed just before closing"
    # after a reload the tab opens a new comm and is told the same state
    reloaded = RecordingComm()
    served.attach(reloaded)
    assert reloaded.sent[0]["state"]["note_id"] == note_id
    assert reloaded.sent[0]["state"]["model_id"] == form.widget.model_id


def test_a_form_for_a_known_patient_shows_its_identity_only(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = _patient(tess)
    backend = Backend(LocalTransport(tess))
    spec = json.dumps({"kind": "form", "form": "dosing", "patient": patient})
    form = host.serve(spec, backend=backend, register=False).view
    assert isinstance(form, SessionForm)
    assert form.picker is not None
    assert form.picker.widget not in form.widget.children  # no picker, no "New patient"
    assert form.view is not None
    assert "Synthetic Host Person" in form.view.identity.value
    # no patient chosen (a launcher tile): the picker with its "New patient" block stays
    tile = host.serve('{"kind": "form", "form": "dosing"}', backend=backend, register=False)
    assert isinstance(tile.view, SessionForm)
    assert tile.view.picker is not None
    assert tile.view.widget.children[0] is tile.view.picker.widget


def test_every_write_sends_the_state_again_counted(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = _patient(tess)
    spec = json.dumps({"kind": "form", "form": "intention", "patient": patient})
    served = host.serve(spec, backend=Backend(LocalTransport(tess)), register=False)
    form = served.view
    assert isinstance(form, SessionForm)
    assert form.view is not None
    comm = RecordingComm()
    served.attach(comm)
    type_into(form.view.body, "hopes", "first")
    assert form.flush()
    type_into(form.view.body, "hopes", "second")
    assert form.flush()
    assert form.flush()  # nothing changed: no write, nothing sent
    counts = [m["state"]["writes"] for m in comm.sent if "state" in m and "flushed" not in m]
    assert counts[0] == 0
    assert counts[-1] == 2
    assert served.counter is not None
    assert served.counter.writes == 2
    assert form.controller is not None
    assert form.controller.note_id is not None
    form.controller.discard()
    assert comm.sent[-1]["state"]["writes"] == 3


def test_host_refuses_unknown_views_and_waits_for_an_unlock(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    with pytest.raises(ValueError, match="unknown KAP view"):
        host.build({"kind": "notebook"}, Backend(LocalTransport(tess)))
    locked = Backend(LocalTransport(tess))
    tess.lock()
    with pytest.raises(PermissionError, match="locked"):
        host.serve('{"kind": "progress"}', backend=locked, register=False)


def _patient(tess: Session) -> str:
    return str(
        tess.create_patient(
            {
                "kind": "patient",
                "chart_code": "KAP-H1",
                "sex": "unknown",
                "name": "Synthetic Host Person",
                "date_of_birth": "1980-05-17",
            }
        )
    )
