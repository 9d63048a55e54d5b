"""Issue 12, observation 6: killed Jupyter servers leave ``kap-notes-agent-<pid>.sock`` behind.

At start the agent removes this user's agent sockets whose server is gone (the process ended,
or its pid now belongs to a process that does not listen there) and leaves running servers'
sockets and anything that is not an agent socket alone. Real sockets, real processes, and a real
jupyter_server start."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kap_notes.agent import ENV_VAR
from kap_notes.agent.keyholder import KeyHolder
from kap_notes.agent.server import AgentServer, remove_stale_sockets, socket_name
from kap_notes.server.app import agent_socket_path
from tests.conftest import create_clinic_vault
from tests.server.api import Fetch, call


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _left_behind(path: Path) -> Path:
    """A socket file nobody listens on (what a killed server leaves)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(path))
    return path


@pytest.fixture
def alive() -> Iterator[list[int]]:
    """Pids of two running processes (standing in for other running Jupyter servers)."""
    children = [
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) for _ in range(2)
    ]
    yield [c.pid for c in children]
    for child in children:
        child.kill()
        child.wait()


@pytest.fixture
def vault(tmp_path: Path) -> str:
    created, _codes = create_clinic_vault(tmp_path / "vault")
    created.vault.close()
    return str(tmp_path / "vault")


def test_only_sockets_of_servers_that_are_gone_are_removed(
    tmp_path: Path, alive: list[int]
) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    stale = _left_behind(runtime / socket_name(_dead_pid()))
    reused = _left_behind(runtime / socket_name(alive[0]))  # pid alive, nobody listens there
    not_a_socket = runtime / socket_name(_dead_pid())
    not_a_socket.write_text("a file, not a socket")
    other_name = _left_behind(runtime / "kap-notes-agent-x.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listening:
        running = runtime / socket_name(alive[1])
        listening.bind(str(running))
        listening.listen()
        removed = remove_stale_sockets(runtime)
        assert running.exists()  # a running server's socket stays
    assert sorted(removed) == sorted([stale, reused])
    assert not stale.exists()
    assert not reused.exists()
    assert not_a_socket.exists()
    assert other_name.exists()


def test_the_agent_removes_stale_sockets_when_it_starts(vault: str, tmp_path: Path) -> None:
    stale = [_left_behind(tmp_path / socket_name(_dead_pid())) for _ in range(3)]
    server = AgentServer(KeyHolder(vault), tmp_path / socket_name(os.getpid()))

    async def start_and_stop() -> None:
        await server.start()
        assert server.path.exists()
        await server.stop()

    asyncio.run(start_and_stop())
    assert not any(path.exists() for path in stale)


# ------------------------------------------------------------------ a real jupyter_server start
@pytest.fixture
def stale_in_runtime_dir(jp_runtime_dir: Path) -> Path:
    return _left_behind(jp_runtime_dir / socket_name(_dead_pid()))


@pytest.fixture
def jp_server_config(vault: str, stale_in_runtime_dir: Path) -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {"kap_notes.server": True},
            "allow_unauthenticated_access": False,
        },
        "KapNotesApp": {"vault": vault, "fast_kdf": True},
    }


async def test_a_server_start_cleans_its_runtime_dir(
    jp_fetch: Fetch, stale_in_runtime_dir: Path
) -> None:
    assert (await call(jp_fetch, "status"))["unlocked"] is False
    for _ in range(600):  # the agent starts on the server's event loop (slow when loaded)
        if not stale_in_runtime_dir.exists():
            break
        await asyncio.sleep(0.05)
    assert not stale_in_runtime_dir.exists()
    own = Path(os.environ[ENV_VAR])  # the runtime dir, or a short private dir if that is too long
    assert own.name == socket_name(os.getpid())
    assert own.exists()


def test_a_too_long_runtime_dir_falls_back_to_a_private_short_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(deep))
    path = agent_socket_path()
    assert path.name == socket_name(os.getpid())
    assert len(str(path)) <= 100
    assert path.parent.stat().st_mode & 0o077 == 0
    assert path.parent.stat().st_uid == os.getuid()
