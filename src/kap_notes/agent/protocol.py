"""Framing for the agent socket: one JSON object per line each way."""

from __future__ import annotations

import json
from typing import Any

#: Largest message accepted (a compiled notebook with charts fits easily).
MAX_MESSAGE = 64 * 1024 * 1024


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode("utf-8") + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    value = json.loads(line)
    if not isinstance(value, dict):
        raise ValueError("agent messages are JSON objects")
    return value


#: Field names a kernel may never send: passphrases reach the server from JupyterLab only.
SECRET_FIELDS = ("passphrase", "password", "recovery_code", "break_glass_code")


def carries_secret(value: Any) -> bool:
    """True if ``value`` (a request, at any depth) has a field named like a secret."""
    if isinstance(value, dict):
        return any(
            any(s in str(k).lower() for s in SECRET_FIELDS) or carries_secret(v)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return any(carries_secret(v) for v in value)
    return False


REFUSED_FROM_KERNELS = (
    "a kernel never sends a passphrase: confirm the action in JupyterLab's own dialog instead"
)
