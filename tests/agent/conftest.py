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
