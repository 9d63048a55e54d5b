"""Issue 14 item 3, end to end from the form: the form's autosave timer writes to the draft's
sealed autosave buffer (no new version, no audit entry), the Save button and closing the tab
write audited versions, and what was typed is never lost. Real vault, real service, real form.
"""

from __future__ import annotations

import json

from kap_notes.service.backend import Backend, LocalTransport
from kap_notes.service.notes import get_note
from kap_notes.vault.session import Session
from kap_notes.widgets import host
from kap_notes.widgets.session_form import SessionForm
from tests.conftest import Clinic, synthetic_patient
from tests.widgets.test_widgets_form_view import type_into


def _writes(session: Session, record_id: str) -> list[str]:
    rows = session.store.audit_rows()
    return [row.action for row in rows if row.record == record_id and row.action != "read"]


def _form(tess: Session) -> SessionForm:
    patient = tess.create_patient(
        {"kind": "patient", "chart_code": "KAP-AB1", "sex": "unknown", **synthetic_patient()}
    )
    spec = json.dumps({"kind": "form", "form": "intention", "patient": patient})
    form = host.serve(spec, backend=Backend(LocalTransport(tess)), register=False).view
    assert isinstance(form, SessionForm)
    assert form.view is not None
    return form


def test_autosaves_stay_in_the_buffer_until_the_form_closes(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    form = _form(tess)
    assert form.view is not None
    type_into(form.view.body, "hopes", "first words")
    assert form.view.autosave_tick() is not None  # the first save makes the draft (audited)
    note_id = form.note_id
    assert note_id is not None
    assert _writes(tess, note_id) == ["create"]
    for n in range(5):
        type_into(form.view.body, "hopes", f"typed more {n}")
        outcome = form.view.autosave_tick()
        assert outcome is not None
        assert outcome.ok
    assert _writes(tess, note_id) == ["create"]  # five autosaves, no audit entry
    assert get_note(tess, note_id).answers["hopes"] == "typed more 4"  # the author sees them
    assert form.flush()  # the tab closes
    assert _writes(tess, note_id) == ["create", "update"]
    assert get_note(tess, note_id).version == 2
    assert get_note(tess, note_id).answers["hopes"] == "typed more 4"


def test_the_save_button_writes_an_audited_version(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    form = _form(tess)
    assert form.view is not None
    type_into(form.view.body, "hopes", "saved by hand")
    form.view.save_draft()
    note_id = form.note_id
    assert note_id is not None
    type_into(form.view.body, "hopes", "saved by hand again")
    form.view.save_draft()
    assert _writes(tess, note_id) == ["create", "update"]
    assert form.flush()  # nothing buffered: closing writes nothing more
    assert _writes(tess, note_id) == ["create", "update"]


def test_closing_while_locked_keeps_the_tab_and_the_typing(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    form = _form(tess)
    assert form.view is not None
    type_into(form.view.body, "hopes", "before the lock")
    form.view.autosave_tick()
    type_into(form.view.body, "hopes", "buffered before the lock")
    form.view.autosave_tick()
    note_id = form.note_id
    assert note_id is not None
    tess.lock()
    assert not form.flush()  # the tab asks: keep it open to unlock and save
    again = clinic.unlock("tess")
    assert get_note(again, note_id).answers["hopes"] == "buffered before the lock"


def test_autosaves_kept_in_the_buffer_do_not_refresh_the_panel(clinic: Clinic) -> None:
    """Each counted write makes the KAP panel refresh, and its My day audits a read of every
    patient it lists: buffered autosaves must not count (nothing the panel shows changed)."""
    tess = clinic.unlock("tess")
    form = _form(tess)
    served = host.current()
    assert served is not None
    assert served.view is form
    counter = served.counter
    assert counter is not None
    assert form.view is not None
    assert form.view.lifecycle is not None
    type_into(form.view.body, "hopes", "first words")
    assert form.view.autosave_tick() is not None  # makes the draft: the panel lists it
    assert counter.writes == 1
    for n in range(5):
        type_into(form.view.body, "hopes", f"typed more {n}")
        assert form.view.autosave_tick() is not None
    assert counter.writes == 1  # five autosaves kept in the buffer: no refresh
    assert form.flush()  # the tab closes: the buffer becomes a version, the panel refreshes
    assert counter.writes == 2
    assert form.flush()  # nothing left in the buffer: nothing written, no refresh
    assert counter.writes == 2
    type_into(form.view.body, "hopes", "typed after")
    form.view.lifecycle.save_button.click()  # the Save button writes a version: refresh
    assert counter.writes == 3
