"""The server extension as a jupyter_server ``ExtensionApp``: settings, key holder, agent socket,
routes, idle timer, and a clean stop (keys dropped, socket removed)."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_runtime_dir
from jupyter_server.extension.application import ExtensionApp
from jupyter_server.services.contents.largefilemanager import (
    AsyncLargeFileManager,
    LargeFileManager,
)
from tornado.ioloop import IOLoop, PeriodicCallback
from traitlets import Bool, Float, Unicode, default

from kap_notes.agent import ENV_VAR
from kap_notes.agent.keyholder import KeyHolder
from kap_notes.agent.server import AgentServer, remove_stale_sockets, socket_name
from kap_notes.server.contents import KapContentsManager
from kap_notes.server.export_guard import setup_export_guard
from kap_notes.server.handlers import setup_handlers
from kap_notes.vault.crypto import FAST_KDF, MINIMUM_KDF

_SOCKET_PATH_LIMIT = 100


def _private_short_dir() -> Path:
    """``<tmp>/kap-notes-<uid>``, 0700 and ours (a fresh temp dir if someone else made it)."""
    path = Path(tempfile.gettempdir()) / f"kap-notes-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = path.lstat()
    if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077:
        return path
    return Path(tempfile.mkdtemp(prefix="kap-"))


def agent_socket_path() -> Path:
    """A private path for the agent socket: the runtime dir, or a short private dir when that
    path is too long for a Unix socket. Either way stale sockets there are removed at start."""
    path = Path(jupyter_runtime_dir()) / socket_name(os.getpid())
    if len(str(path)) > _SOCKET_PATH_LIMIT:
        remove_stale_sockets(path.parent)  # left there by servers that had a shorter path
        path = _private_short_dir() / socket_name(os.getpid())
    return path


class KapNotesApp(ExtensionApp):
    """kap-notes inside jupyter_server (configure as ``c.KapNotesApp.*``)."""

    name = "kap_notes"

    vault = Unicode(
        help="Vault directory or postgresql:// URL (or KAP_NOTES_VAULT). "
        "Never put a SQLite vault on a network file system."
    ).tag(config=True)
    auto_lock_minutes = Float(
        15.0, help="Lock the vault after this many idle minutes (the UI setting overrides it)."
    ).tag(config=True)
    fast_kdf = Bool(
        False, help="Accept the weak test KDF. For demos and tests only (or KAP_NOTES_FAST_KDF=1)."
    ).tag(config=True)
    notebook_folder = Unicode(
        "kap-vault", help="Contents path under which notebooks are stored encrypted in the vault."
    ).tag(config=True)
    idle_check_seconds = Float(5.0, help="How often to check for the idle timeout.").tag(
        config=True
    )

    @default("vault")
    def _vault_default(self) -> str:
        return os.environ.get("KAP_NOTES_VAULT", "")

    @default("fast_kdf")
    def _fast_kdf_default(self) -> bool:
        return os.environ.get("KAP_NOTES_FAST_KDF") == "1"

    def _link_jupyter_server_extension(self, serverapp: Any) -> None:
        """Before jupyter_server builds its managers: use the encrypting contents manager."""
        super()._link_jupyter_server_extension(serverapp)
        default = serverapp.__class__.contents_manager_class.default_value
        if serverapp.contents_manager_class in (default, LargeFileManager, AsyncLargeFileManager):
            serverapp.contents_manager_class = KapContentsManager

    def initialize_settings(self) -> None:
        self.keyholder = KeyHolder(
            self.vault,
            auto_lock_minutes=self.auto_lock_minutes,
            kdf_floor=FAST_KDF if self.fast_kdf else MINIMUM_KDF,
        )
        self.agent = AgentServer(self.keyholder, agent_socket_path())
        os.environ[ENV_VAR] = str(self.agent.path)  # inherited by every kernel this server starts
        IOLoop.current().add_callback(self.agent.start)
        manager = getattr(self.serverapp, "contents_manager", None)
        if isinstance(manager, KapContentsManager):
            manager.keyholder = self.keyholder
            manager.vault_folder = self.notebook_folder
        self.idle_timer = PeriodicCallback(self._check_idle, self.idle_check_seconds * 1000)
        self.idle_timer.start()
        if not self.vault:
            self.log.warning("kap-notes: no vault configured (set KAP_NOTES_VAULT)")
        self.log.info(
            "kap-notes: agent at %s; auto-lock after %s idle minutes",
            self.agent.path,
            self.auto_lock_minutes,
        )

    def _check_idle(self) -> None:
        self.keyholder.check_idle()

    def initialize_handlers(self) -> None:
        assert self.serverapp is not None  # noqa: S101 - set by jupyter_server before this hook
        setup_handlers(self.serverapp.web_app, self.keyholder)
        setup_export_guard(self.serverapp.web_app)

    async def stop_extension(self) -> None:
        self.keyholder.lock()
        self.idle_timer.stop()
        await self.agent.stop()
