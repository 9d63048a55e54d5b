"""The jupyter_server extension: REST API, key agent for kernels, encrypted notebooks."""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    # The app (jupyter_server, the vault, the handlers) loads only when the server asks for it,
    # so that importing kap_notes.server (e.g. kap_notes.server.handlers in tests) stays cheap.
    from kap_notes.server.app import KapNotesApp  # noqa: PLC0415

    return [{"module": "kap_notes.server", "app": KapNotesApp}]
