"""The jupyter_server extension: REST API, key agent for kernels, encrypted notebooks."""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "kap_notes.server"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    from kap_notes.server.extension import load

    load(server_app)
