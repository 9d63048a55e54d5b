"""A real agent: a KeyHolder served on a Unix socket by an event loop in a background thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kap_notes.agent.client import AgentTransport
from kap_notes.agent.keyholder import KeyHolder
from kap_notes.agent.server import AgentServer
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.errors import VaultError, WrongPassphrase
from tests.conftest import Clinic


@dataclass
class RunningAgent:
    holder: KeyHolder
    server: AgentServer
    transport: AgentTransport


@pytest.fixture
def agent(clinic: Clinic, tmp_path: Path) -> Iterator[RunningAgent]:
    holder = KeyHolder(str(clinic.path), kdf_floor=FAST_KDF)
    server = AgentServer(holder, tmp_path / "a.sock")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    yield RunningAgent(holder, server, AgentTransport(str(server.path)))
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


class FakeDialog:
    """Stands in for JupyterLab's confirmation dialog on the server side: answers each waiting
    confirmation in turn with the next of ``answers`` (a passphrase, or None for Cancel)."""

    def __init__(self, holder: KeyHolder, answers: list[str | None]) -> None:
        self.holder = holder
        self.answers = list(answers)
        self.seen: list[dict[str, object]] = []
        self.refused = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> FakeDialog:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set() and self.answers:
            for item in self.holder.pending()["pending"]:
                self.seen.append(item)
                answer = self.answers.pop(0)
                if answer is None:
                    self.holder.cancel(str(item["id"]))
                else:
                    try:
                        self.holder.confirm(str(item["id"]), answer)
                    except WrongPassphrase:
                        self.refused += 1
                    except VaultError:
                        pass  # the operation's own error: its kernel receives it too
                break
            self._stop.wait(0.01)
