"""The agent's Unix socket server, run inside the Jupyter server's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
import stat
import struct
from pathlib import Path

from kap_notes.agent import protocol
from kap_notes.agent.keyholder import KeyHolder
from kap_notes.errors import InvalidInput
from kap_notes.service import requests
from kap_notes.service.operations import CONFIRMED, error_payload, is_domain_error

log = logging.getLogger(__name__)

#: The agent socket of the Jupyter server with this process id (in the runtime dir).
SOCKET_NAME = re.compile(r"kap-notes-agent-(\d+)\.sock")


def socket_name(pid: int) -> str:
    return f"kap-notes-agent-{pid}.sock"


def _server_gone(path: Path, pid: int) -> bool:
    """Whether the server that made ``path`` is gone: its process ended, or the pid now belongs
    to another user's process, or nothing listens on the socket any more (the pid was reused)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return True  # another user's process: not the server that made our socket
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        try:
            probe.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            return True
        except OSError:
            return False
    return False


def remove_stale_sockets(directory: Path) -> list[Path]:
    """Delete ``kap-notes-agent-<pid>.sock`` files of this user left by servers that were
    killed; returns what was removed. Sockets of running servers stay."""
    removed: list[Path] = []
    try:
        entries = list(directory.iterdir())
    except OSError:
        return removed
    for path in entries:
        match = SOCKET_NAME.fullmatch(path.name)
        if match is None or int(match.group(1)) == os.getpid():
            continue
        try:
            info = path.lstat()
        except OSError:
            continue
        if not (info.st_uid == os.getuid() and stat.S_ISSOCK(info.st_mode)):
            continue
        if _server_gone(path, int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    if removed:
        log.info("kap-notes: removed %d stale agent socket(s) in %s", len(removed), directory)
    return removed


def _peer_uid(writer: asyncio.StreamWriter) -> int | None:
    sock: socket.socket | None = writer.get_extra_info("socket")
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return None
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


class AgentServer:
    """Serves :class:`KeyHolder` operations to kernels of the same OS user."""

    def __init__(self, keyholder: KeyHolder, path: Path) -> None:
        self.keyholder = keyholder
        self.path = path
        self._server: asyncio.AbstractServer | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_sockets(self.path.parent)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        old_mask = os.umask(0o177)
        try:
            self._server = await asyncio.start_unix_server(
                self._handle, path=str(self.path), limit=protocol.MAX_MESSAGE
            )
        finally:
            os.umask(old_mask)
        self.path.chmod(0o600)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for writer in self._connections.values():  # kernels still connected are let go
            writer.close()
        if self._connections:
            await asyncio.wait(list(self._connections), timeout=5)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections[task] = writer
        try:
            if _peer_uid(writer) not in (None, os.getuid()):
                return
            while line := await reader.readline():
                reply = await self._reply(line, reader)
                writer.write(protocol.encode(reply))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()
            if task is not None:
                self._connections.pop(task, None)

    async def _reply(self, line: bytes, reader: asyncio.StreamReader) -> dict[str, object]:
        try:
            request = requests.parse_json(line)
            if not isinstance(request, dict):
                raise InvalidInput(["an agent request is a JSON object: {op, kwargs}"])
            if protocol.carries_secret(request):
                raise InvalidInput([protocol.REFUSED_FROM_KERNELS])
            op, kwargs = request.get("op"), request.get("kwargs", {})
            if not isinstance(op, str):
                raise InvalidInput(["the request names no operation (op)"])
            if op != "status":  # checked here, before the vault is asked anything
                kwargs = requests.check_operation(op, kwargs, from_kernel=op in CONFIRMED)
            if op in CONFIRMED:
                result = await self._confirmed(op, kwargs, reader)
            else:
                result = await asyncio.get_running_loop().run_in_executor(
                    self.keyholder.executor, self.keyholder.run, op, kwargs
                )
        except Exception as exc:
            if not is_domain_error(exc):
                log.exception("kap-notes agent operation failed")
            return {"ok": False, "error": error_payload(exc)}
        return {"ok": True, "result": result}

    async def _confirmed(
        self, op: str, kwargs: dict[str, object], reader: asyncio.StreamReader
    ) -> object:
        """Park ``op`` until JupyterLab confirms it, then answer its result. The wait ends
        unconfirmed after ``confirm_seconds`` or when the kernel hangs up (interrupted or
        restarted), so no dialog is left asking to sign for a form that stopped waiting."""
        loop = asyncio.get_running_loop()
        pending = await loop.run_in_executor(
            self.keyholder.executor, self.keyholder.request_confirmation, op, kwargs
        )
        waiting = asyncio.wrap_future(pending.future)
        hangup = asyncio.ensure_future(reader.read(1))  # a kernel sends one request, then waits
        done, _ = await asyncio.wait(
            {waiting, hangup},
            timeout=self.keyholder.confirm_seconds,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if waiting not in done:
            minutes = max(1, round(self.keyholder.confirm_seconds / 60))
            reason = (
                "the form stopped waiting (kernel interrupted or restarted): nothing was signed"
                if hangup in done
                else f"not confirmed within {minutes} min: nothing was signed"
            )
            self.keyholder.confirmations.expire(pending, reason)
        if not hangup.done():
            hangup.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hangup  # the connection's next readline must not race this read
        return await waiting
