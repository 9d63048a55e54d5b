"""The kernel side of the agent: send an operation, get JSON back, re-raise domain errors."""

from __future__ import annotations

import os
import socket
from typing import Any

from kap_notes import errors
from kap_notes.agent import ENV_VAR, protocol
from kap_notes.agent.confirm import CONFIRM_SECONDS
from kap_notes.errors import InvalidInput, VaultLocked
from kap_notes.forms import ValidationIssue
from kap_notes.service.backend import Askpass, Backend, LocalTransport
from kap_notes.service.operations import CONFIRMED
from kap_notes.vault.session import Session


def remote_error(payload: dict[str, Any]) -> Exception:
    """Rebuild the exception the server raised, by its stable ``code`` (see
    :mod:`kap_notes.errors`); a :class:`NotSignable`'s issues become validation issues again."""
    exc = errors.from_payload(payload)
    if isinstance(exc, errors.NotSignable):
        exc.issues = [
            ValidationIssue(
                str(i.get("linkId", "")),
                str(i.get("message", "")),
                row=i.get("row"),
                group=i.get("group"),
                kind=str(i.get("kind", "invalid")),
            )
            for i in exc.issues or []
            if isinstance(i, dict)
        ]
    return exc


class AgentTransport:
    """Calls operations on the agent at ``path`` (default: ``$KAP_NOTES_AGENT``).

    Never sends a passphrase (refused here and by the server): signing, co-signing, returning
    and addenda wait while the user confirms them in JupyterLab's dialog.
    """

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, timeout: float = 120.0
    ) -> None:
        self.path = os.fspath(path) if path else os.environ.get(ENV_VAR)
        self.timeout = timeout

    def __call__(self, op: str, kwargs: dict[str, Any]) -> Any:
        if not self.path:
            raise VaultLocked(
                "no kap-notes agent: open this notebook from JupyterLab with kap-notes installed"
            )
        if protocol.carries_secret(kwargs):
            raise InvalidInput([protocol.REFUSED_FROM_KERNELS])
        timeout = self.timeout + (CONFIRM_SECONDS if op in CONFIRMED else 0)
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(self.path)
                sock.sendall(protocol.encode({"op": op, "kwargs": kwargs}))
                reply = sock.makefile("rb").readline(protocol.MAX_MESSAGE)
        except OSError as exc:
            raise VaultLocked(
                "cannot reach the kap-notes agent (was JupyterLab restarted?); reopen the form"
            ) from exc
        message = protocol.decode(reply)
        if not message.get("ok"):
            raise remote_error(dict(message.get("error") or {}))
        return message.get("result")


def default_backend(session: Session | None = None, askpass: Askpass | None = None) -> Backend:
    """In-process for ``session`` (``askpass`` supplies passphrases); otherwise the agent of the
    Jupyter server running this kernel (JupyterLab asks for them)."""
    if session is not None:
        return Backend(LocalTransport(session, askpass))
    return Backend(AgentTransport())
