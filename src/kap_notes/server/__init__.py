"""The jupyter_server extension: REST API, key agent for kernels, encrypted notebooks."""

from __future__ import annotations

from typing import Any

from kap_notes.server.app import KapNotesApp


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "kap_notes.server", "app": KapNotesApp}]
