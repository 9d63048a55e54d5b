"""deploy/jupyterhub_config.py wraps the clinic's spawner so that ``start()`` returns once the
user server accepts connections: JupyterHub's own wait then succeeds on its first try instead
of polling with exponential backoff. Checked on a stand-in spawner (real sockets, no hub)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from traitlets.config.loader import PyFileConfigLoader

from tests.hub import harness


class SlowToListen:
    """A spawner stand-in: start() returns the address at once, the server listens later."""

    http_timeout = 30
    dies = False
    delay = 0.6  # seconds after start() until the server listens

    def __init__(self) -> None:
        self.listener: socket.socket | None = None
        self.port = harness.free_port()

    async def start(self) -> tuple[str, int]:
        asyncio.get_running_loop().call_later(self.delay, self._listen)
        return ("127.0.0.1", self.port)

    def _listen(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))

    async def poll(self) -> int | None:
        return 1 if self.dies else None


def _wrapped(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("KAP_HUB_SPAWNER", f"{__name__}.SlowToListen")
    monkeypatch.setenv("KAP_HUB_BIND_URL", "http://127.0.0.1:8000")
    config = PyFileConfigLoader("jupyterhub_config.py", path=str(harness.DEPLOY)).load_config()
    return config.JupyterHub.spawner_class


def test_start_returns_once_the_server_listens(monkeypatch: pytest.MonkeyPatch) -> None:
    spawner = _wrapped(monkeypatch)()
    assert isinstance(spawner, SlowToListen)

    assert asyncio.run(spawner.start()) == ("127.0.0.1", spawner.port)
    try:
        assert spawner.listener is not None  # listening when start() returned
        socket.create_connection(("127.0.0.1", spawner.port), timeout=1).close()
    finally:
        if spawner.listener is not None:
            spawner.listener.close()


def test_a_server_that_dies_is_not_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    spawner = _wrapped(monkeypatch)()
    spawner.dies, spawner.delay = True, 10.0
    assert asyncio.run(spawner.start()) == ("127.0.0.1", spawner.port)
    assert spawner.listener is None  # returned at once, not after the 10 s or the 30 s limit
