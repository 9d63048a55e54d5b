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
