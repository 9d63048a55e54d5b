"""Loading the server extension: settings, key holder, agent socket, routes, idle timer."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_runtime_dir
from tornado.ioloop import PeriodicCallback

from kap_notes.agent import ENV_VAR
from kap_notes.agent.keyholder import KeyHolder
from kap_notes.agent.server import AgentServer
from kap_notes.server.config import KapNotes
from kap_notes.server.handlers import setup_handlers
from kap_notes.vault.crypto import FAST_KDF, MINIMUM_KDF

_SOCKET_PATH_LIMIT = 100


def agent_socket_path() -> Path:
    """A private path for the agent socket (runtime dir, or a 0700 temp dir if that is too long)."""
    path = Path(jupyter_runtime_dir()) / f"kap-notes-agent-{os.getpid()}.sock"
    if len(str(path)) > _SOCKET_PATH_LIMIT:
        path = Path(tempfile.mkdtemp(prefix="kap-")) / "agent.sock"
    return path


def load(server_app: Any) -> None:
    """Called by jupyter_server when the extension loads (before any kernel starts)."""
    config = KapNotes(config=server_app.config)
    holder = KeyHolder(
        config.vault,
        auto_lock_minutes=config.auto_lock_minutes,
        kdf_floor=FAST_KDF if config.fast_kdf else MINIMUM_KDF,
    )
    setup_handlers(server_app.web_app, holder)
    agent = AgentServer(holder, agent_socket_path())
    os.environ[ENV_VAR] = str(agent.path)  # inherited by every kernel this server starts
    server_app.web_app.settings["kap_notes_agent"] = agent
    asyncio.get_event_loop().run_until_complete(agent.start()) if not _loop_running() else (
        asyncio.ensure_future(agent.start())
    )
    idle = PeriodicCallback(holder.check_idle, config.idle_check_seconds * 1000)
    idle.start()
    server_app.web_app.settings["kap_notes_idle_timer"] = idle
    if not config.vault:
        server_app.log.warning("kap-notes: no vault configured (set KAP_NOTES_VAULT)")
    server_app.log.info("kap-notes: agent at %s; auto-lock %s min", agent.path,
                        config.auto_lock_minutes)  # fmt: skip


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
