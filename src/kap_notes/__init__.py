"""kap-notes: encrypted session notes for ketamine-assisted psychotherapy clinics.

In a notebook: ``open_form("dosing")``, ``open_note(note_id)`` (continue a draft, revise a
returned note, add an addendum), ``open_review_queue()``, ``open_progress()``. JupyterLab's KAP
tiles and panel show the same forms in a tab of their own (no notebook; ``widgets.host``).
The entry points load lazily so the command line stays quick to start.
"""

from __future__ import annotations

import importlib
from typing import Any

# _version.py is written at build time from labextension/package.json (the one version).
from kap_notes._version import __version__

__all__ = [
    "__version__",
    "cohort",
    "open_form",
    "open_note",
    "open_progress",
    "open_review_queue",
]

_LAZY = {
    "cohort": "kap_notes.api",
    "open_form": "kap_notes.widgets.session_form",
    "open_note": "kap_notes.widgets.session_form",
    "open_review_queue": "kap_notes.widgets.review",
    "open_progress": "kap_notes.widgets.progress",
}


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the prebuilt extension: ``kap_notes/labextension`` in a source or
    editable tree (``jupyter labextension develop``); a wheel ships it only as shared-data
    (``share/jupyter/labextensions/kap-notes``), which JupyterLab finds without this hook."""
    return [{"src": "labextension", "dest": "kap-notes"}]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kap_notes' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
