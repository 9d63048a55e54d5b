"""What a form sends to the browser, counted without a kernel: every widget model opened
(``comm_open``), every later state update (``comm_msg``) and their payload bytes (JSON)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import comm
from comm.base_comm import BaseComm


@dataclass
class Wire:
    """Messages a widget tree sent while counting."""

    opened: int = 0
    updates: int = 0
    payload: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    def add(self, msg_type: str, data: Any, buffers: Any) -> None:
        if msg_type == "comm_open":
            self.opened += 1
            name = (data or {}).get("state", {}).get("_model_name", "?")
            self.kinds[name] = self.kinds.get(name, 0) + 1
        elif msg_type == "comm_msg":
            self.updates += 1
        self.payload += len(json.dumps(data, default=str)) + sum(len(b) for b in buffers or ())


class _CountingComm(BaseComm):
    wire: Wire

    def publish_msg(
        self,
        msg_type: str,
        data: Any = None,
        metadata: Any = None,
        buffers: Any = None,
        **keys: Any,
    ) -> None:
        self.wire.add(msg_type, data, buffers)


@contextmanager
def counting() -> Iterator[Wire]:
    """Count what widgets created or changed inside the block would send to the browser."""
    wire = Wire()
    previous: Callable[..., Any] = comm.create_comm

    counted: type[_CountingComm] = type("CountingComm", (_CountingComm,), {"wire": wire})

    def create(**kwargs: Any) -> BaseComm:
        made: BaseComm = counted(**kwargs)
        return made

    comm.create_comm = create
    try:
        yield wire
    finally:
        comm.create_comm = previous
