"""The kernel side of JupyterLab's KAP form tab (labextension/src/formwidget.ts).

The tab starts a kernel with no notebook, runs ``serve('{"kind": "form", "form": "dosing"}')``
silently (no code cell, no output), then opens a comm on :data:`COMM_TARGET`. Over it the kernel
says which widget to show (``model_id``) and which note the form saves to (``note_id``, once the
first autosave made one), and answers ``{"action": "flush"}`` by saving what changed, so the tab
can close and shut its kernel down without losing typing. After a page reload the tab reconnects
to the same kernel and opens a new comm: the same state is sent again. Every write the view makes
(save, sign, discard, addendum, a new patient; not an autosave kept in the draft's buffer) sends
the state again with ``writes`` counted up, so the KAP panel refreshes itself.

A note started for a known patient (the panel's "New dosing session") shows that patient's
identity only: no patient picker, no "New patient" block.

One view per kernel: the tab owns its kernel.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from comm import get_comm_manager

from kap_notes.agent.client import default_backend
from kap_notes.service.backend import Backend, Transport
from kap_notes.widgets.progress import open_progress
from kap_notes.widgets.review import open_review_queue
from kap_notes.widgets.session_form import SessionForm, open_form, open_note

#: The comm target the tab opens (``kernel.createComm``); registered by :func:`serve`.
COMM_TARGET = "kap-notes.form"

#: Operations after which the KAP panel's lists may have changed (the tab tells it).
WRITES = frozenset(
    {
        "save_draft",
        "sign_note",
        "discard_draft",
        "add_addendum",
        "add_patient",
        "cosign",
        "return_note",
    }
)

#: Why a tab could not open its view (the tab shows it and tries again once unlocked).
LOCKED = "The KAP vault is locked: unlock it and this form opens."


class Comm(Protocol):
    """What the host uses of a ``comm.base_comm.BaseComm``."""

    def send(self, data: Any = None) -> None: ...

    def on_msg(self, callback: Any) -> None: ...


def _changes_what_others_see(op: str, kwargs: dict[str, Any], result: Any) -> bool:
    if op == "close_draft":  # the buffer's autosaves become an audited version, if any
        return isinstance(result, dict) and bool(result.get("written"))
    return op in WRITES and not kwargs.get("autosave")


class WriteCounter:
    """A transport that counts the writes passing through it and calls ``on_write`` after each.

    An autosave kept in the draft's buffer is no write here: nothing the KAP panel shows
    changes, and each count refreshes the panel, whose My day reads (and audits a read of)
    every patient it lists — every few seconds of typing, before this rule."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.writes = 0
        self.on_write: Any = None

    def __call__(self, op: str, kwargs: dict[str, Any]) -> Any:
        result = self.transport(op, kwargs)
        if _changes_what_others_see(op, kwargs, result):
            self.writes += 1
            if self.on_write is not None:
                self.on_write()
        return result


class FormHost:
    """The one view served by this kernel and the tab's comm to it."""

    def __init__(
        self, view: Any, spec: dict[str, Any], counter: WriteCounter | None = None
    ) -> None:
        self.view = view
        self.spec = spec
        self.comms: list[Comm] = []
        self.counter = counter
        if counter is not None:
            counter.on_write = self.send
        if isinstance(view, SessionForm):
            view.note_listeners.append(lambda _note: self.send())

    def state(self) -> dict[str, Any]:
        """What the tab needs: the widget to show and, for a form, the note it saves to."""
        note_id = self.view.note_id if isinstance(self.view, SessionForm) else None
        return {
            "model_id": self.view.widget.model_id,
            "kind": self.spec.get("kind"),
            "form": getattr(getattr(self.view, "definition", None), "name", None),
            "note_id": note_id,
            "writes": self.counter.writes if self.counter is not None else 0,
        }

    def attach(self, comm: Comm, _open_msg: dict[str, Any] | None = None) -> None:
        """A tab (or the same tab after a reload) connected: tell it the state."""
        self.comms = [comm]
        comm.on_msg(self._message)
        self.send()

    def send(self) -> None:
        for comm in self.comms:
            comm.send({"state": self.state()})

    def flush(self) -> bool:
        """Save what changed since the last save; True when nothing is left unsaved."""
        return self.view.flush() if isinstance(self.view, SessionForm) else True

    def _message(self, msg: dict[str, Any]) -> None:
        data = msg.get("content", {}).get("data", {}) or {}
        if data.get("action") == "flush":
            saved = self.flush()
            for comm in self.comms:
                comm.send({"flushed": saved, "state": self.state()})


class _Served:
    """The host of this kernel's one view."""

    host: FormHost | None = None


def build(spec: dict[str, Any], backend: Backend) -> Any:
    """The view a tab asked for: ``kind`` form (``form``, optional ``patient``), note
    (``note``), progress or review-queue."""
    kind = spec.get("kind")
    if kind == "form":
        patient = spec.get("patient") or None
        return known_patient(open_form(str(spec["form"]), patient=patient, backend=backend))
    if kind == "note":
        return open_note(str(spec["note"]), backend=backend)
    if kind == "progress":
        return open_progress(backend=backend)
    if kind == "review-queue":
        return open_review_queue(backend=backend)
    raise ValueError(f"unknown KAP view {kind!r}")


def known_patient(form: SessionForm) -> SessionForm:
    """A form opened for a chosen patient shows that patient's identity only (the header above
    the form): the picker and its "New patient" block leave the tab."""
    picker = form.picker
    if picker is not None and picker.value is not None:
        form.widget.children = tuple(c for c in form.widget.children if c is not picker.widget)
    return form


def serve(spec_json: str, *, backend: Backend | None = None, register: bool = True) -> FormHost:
    """Build the view described by ``spec_json`` and wait for the tab's comm (one per kernel).

    Raises ``PermissionError(LOCKED)`` while the vault is locked (nothing to show yet)."""
    spec = json.loads(spec_json)
    if not isinstance(spec, dict):
        raise ValueError("a KAP view is described by a JSON object")
    backend = backend or default_backend()
    if backend.locked():
        raise PermissionError(LOCKED)
    counter = WriteCounter(backend.transport)
    host = FormHost(build(spec, Backend(counter)), spec, counter)
    _Served.host = host
    if register:
        _register_target()
    return host


def current() -> FormHost | None:
    """The host of this kernel's view, if one was served."""
    return _Served.host


def _register_target() -> None:
    get_comm_manager().register_target(COMM_TARGET, _open)


def _open(comm: Comm, msg: dict[str, Any]) -> None:
    if _Served.host is None:
        comm.send({"error": "no KAP view in this kernel"})
        return
    _Served.host.attach(comm, msg)
