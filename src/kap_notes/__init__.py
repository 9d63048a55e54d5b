"""kap-notes: encrypted session notes for ketamine-assisted psychotherapy clinics.

In a notebook: ``open_form("dosing")``, ``open_review_queue()``, ``open_progress()``.
The entry points load lazily so the command line stays quick to start.
"""

from __future__ import annotations

import importlib
from typing import Any

# _version.py is written at build time from labextension/package.json (the one version).
from kap_notes._version import __version__

__all__ = ["__version__", "open_form", "open_progress", "open_review_queue"]

_LAZY = {
    "open_form": "kap_notes.widgets.session_form",
    "open_review_queue": "kap_notes.widgets.review",
    "open_progress": "kap_notes.widgets.progress",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kap_notes' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
