"""The passphrase never enters a kernel: kernels ask without it, the server parks the operation,
and only a confirmation from JupyterLab (the server's own route) runs it."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from kap_notes.agent import protocol
from kap_notes.agent.client import AgentTransport
from kap_notes.agent.confirm import UnknownConfirmation
from kap_notes.model.patient import InvalidInput
from kap_notes.service.backend import Backend, NotConfirmed
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault.errors import WrongPassphrase
from kap_notes.widgets.session_form import open_form
from tests.agent.conftest import FakeDialog, RunningAgent
from tests.conftest import PASSPHRASES


class RecordingSocket:
    """A socket a kernel's ``KAP_NOTES_AGENT`` may name: records every byte the kernel sends and
    relays it to the real agent (so the widget path runs end to end)."""

    def __init__(self, path: Path, agent_path: Path) -> None:
        self.path, self.agent_path = path, agent_path
        self.received = bytearray()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, conn: socket.socket) -> None:
        with conn, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as upstream:
            upstream.connect(str(self.agent_path))
            reader = conn.makefile("rb")
            while line := reader.readline():
                self.received += line
                upstream.sendall(line)
                conn.sendall(upstream.makefile("rb").readline())

    def close(self) -> None:
        self._server.close()


@pytest.fixture
def recorder(agent: RunningAgent, tmp_path: Path) -> Iterator[RecordingSocket]:
    recording = RecordingSocket(tmp_path / "other.sock", agent.server.path)
    yield recording
    recording.close()


def _draft(backend: Backend, seed: int) -> tuple[str, str, dict[str, Any]]:
    course = synthetic_course(seed, start=dt.date(2026, 11, 2), boosters=0)
    patient = backend.add_patient(course.profile)
    saved = backend.save_draft(patient, "preparation", course.steps[0].answers)
    return patient, str(saved["note_id"]), course.profile


def test_widget_path_sends_no_passphrase_and_signs_after_confirmation(
    agent: RunningAgent, recorder: RecordingSocket
) -> None:
    agent.holder.unlock("tess", PASSPHRASES["tess"])
    kernel = Backend(AgentTransport(recorder.path))
    course = synthetic_course(51, start=dt.date(2026, 11, 2), boosters=0)
    patient = kernel.add_patient(course.profile)
    form = open_form("preparation", patient=patient, backend=kernel)
    assert form.view is not None
    form.view.value = course.steps[0].answers
    with FakeDialog(agent.holder, [PASSPHRASES["tess"]]) as dialog:
        outcome = form.view.sign()
    assert outcome is not None
    assert outcome.ok, outcome.message
    assert form.view.locked
    with FakeDialog(agent.holder, [PASSPHRASES["tess"]]):
        assert form.view.add_addendum("Synthetic addendum through the agent") is not None
    assert "Addendum added" in form.view.status_text
    sent = [json.loads(line) for line in bytes(recorder.received).splitlines()]
    ops = [m["op"] for m in sent]
    assert "sign_note" in ops
    assert "add_addendum" in ops
    assert not any(protocol.carries_secret(m) for m in sent)
    assert PASSPHRASES["tess"].encode() not in recorder.received
    assert [d["action"] for d in dialog.seen] == ["sign"]
    assert set(dialog.seen[0]) == {
        "id",
        "action",
        "chart_code",
        "form",
        "session_date",
        "user",
        "created_at",
    }


def test_a_parked_operation_runs_only_after_confirmation(agent: RunningAgent) -> None:
    agent.holder.unlock("tess", PASSPHRASES["tess"])
    kernel = Backend(agent.transport)
    patient, note_id, profile = _draft(kernel, 52)
    with ThreadPoolExecutor(1) as pool:
        waiting: Future[dict[str, Any]] = pool.submit(kernel.sign_note, note_id)
        pending = _wait_for_pending(agent)
        assert pending["action"] == "sign"
        assert pending["chart_code"] == profile["chart_code"]
        assert not waiting.done()
        assert [n["status"] for n in kernel.list_notes(patient)] == ["draft"]
        with pytest.raises(WrongPassphrase):
            agent.holder.confirm(pending["id"], "not the passphrase")
        assert not waiting.done()
        assert [n["status"] for n in kernel.list_notes(patient)] == ["draft"]
        agent.holder.confirm(pending["id"], PASSPHRASES["tess"])
        assert waiting.result(30)["version"] == 2
    assert [n["status"] for n in kernel.list_notes(patient)] == ["signed"]
    assert agent.holder.pending() == {"pending": []}


def test_cancel_lock_and_timeout_answer_not_confirmed(agent: RunningAgent) -> None:
    agent.holder.unlock("tess", PASSPHRASES["tess"])
    kernel = Backend(agent.transport)
    patient, note_id, _ = _draft(kernel, 53)
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(kernel.sign_note, note_id)
        agent.holder.cancel(_wait_for_pending(agent)["id"])
        with pytest.raises(NotConfirmed, match="cancelled in JupyterLab"):
            waiting.result(30)
        waiting = pool.submit(kernel.sign_note, note_id)
        pending = _wait_for_pending(agent)
        agent.holder.lock()
        with pytest.raises(NotConfirmed, match="locked"):
            waiting.result(30)
        agent.holder.unlock("tess", PASSPHRASES["tess"])
        with pytest.raises(UnknownConfirmation):
            agent.holder.confirm(pending["id"], PASSPHRASES["tess"])
        agent.holder.confirm_seconds = 0.2
        with pytest.raises(NotConfirmed, match="not confirmed within"):
            kernel.sign_note(note_id)
    assert agent.holder.pending() == {"pending": []}
    assert [n["status"] for n in kernel.list_notes(patient)] == ["draft"]


def test_the_connection_serves_on_after_a_confirmed_request(agent: RunningAgent) -> None:
    agent.holder.unlock("tess", PASSPHRASES["tess"])
    _, note_id, _ = _draft(Backend(agent.transport), 56)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(60)
        sock.connect(str(agent.server.path))
        replies = sock.makefile("rb")
        sock.sendall(protocol.encode({"op": "sign_note", "kwargs": {"note_id": note_id}}))
        agent.holder.confirm(_wait_for_pending(agent)["id"], PASSPHRASES["tess"])
        assert protocol.decode(replies.readline())["ok"] is True
        sock.sendall(protocol.encode({"op": "status"}))
        assert protocol.decode(replies.readline())["result"]["user"] == "tess"


def test_a_kernel_that_hangs_up_leaves_no_dialog_behind(agent: RunningAgent) -> None:
    agent.holder.unlock("tess", PASSPHRASES["tess"])
    kernel = Backend(agent.transport)
    patient, note_id, _ = _draft(kernel, 55)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:  # a kernel, then interrupted
        sock.connect(str(agent.server.path))
        sock.sendall(protocol.encode({"op": "sign_note", "kwargs": {"note_id": note_id}}))
        pending = _wait_for_pending(agent)
    event = threading.Event()
    for _ in range(3000):
        if not agent.holder.pending()["pending"]:
            break
        event.wait(0.01)
    assert agent.holder.pending() == {"pending": []}
    with pytest.raises(UnknownConfirmation):
        agent.holder.confirm(pending["id"], PASSPHRASES["tess"])
    assert [n["status"] for n in kernel.list_notes(patient)] == ["draft"]


def test_kernels_cannot_send_a_passphrase_even_if_they_try(
    agent: RunningAgent, recorder: RecordingSocket
) -> None:
    agent.holder.unlock("tess", PASSPHRASES["tess"])
    kernel = Backend(agent.transport)
    patient, note_id, _ = _draft(kernel, 54)
    # the client refuses before sending anything
    with pytest.raises(InvalidInput, match="never sends a passphrase"):
        Backend(AgentTransport(recorder.path)).call(
            "sign_note", note_id=note_id, passphrase=PASSPHRASES["tess"]
        )
    assert bytes(recorder.received) == b""
    # and the server refuses a hand-made request, at any depth and in any spelling
    requests = [
        {"op": "sign_note", "kwargs": {"note_id": note_id, "passphrase": PASSPHRASES["tess"]}},
        {"op": "cosign", "kwargs": {"note_id": note_id, "Passphrase": "x"}},
        {"op": "save_draft", "kwargs": {"patient_id": patient, "answers": {"a": {"password": 1}}}},
        {"op": "sign_note", "kwargs": {"note_id": note_id}, "passphrase": PASSPHRASES["tess"]},
    ]
    for request in requests:
        reply = _raw(agent.server.path, request)
        assert reply["ok"] is False
        assert "never sends a passphrase" in reply["error"]["message"]
    assert agent.holder.pending() == {"pending": []}
    assert [n["status"] for n in kernel.list_notes(patient)] == ["draft"]


def _raw(path: Path, request: dict[str, Any]) -> dict[str, Any]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(str(path))
        sock.sendall(protocol.encode(request))
        return protocol.decode(sock.makefile("rb").readline())


def _wait_for_pending(agent: RunningAgent) -> dict[str, Any]:
    event = threading.Event()
    for _ in range(3000):
        items = agent.holder.pending()["pending"]
        if items:
            return dict(items[0])
        event.wait(0.01)
    raise AssertionError("the kernel's request never reached the server")
