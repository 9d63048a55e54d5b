"""Answers as a reader sees them: rendered by :mod:`kap_notes.records.display`, the one renderer
every view uses (re-exported here for the exporters; no formatting of its own)."""

from __future__ import annotations

from kap_notes.forms.values import is_answered
from kap_notes.records.display import display_answer, display_plain, label_of, number_text

__all__ = ["display_answer", "display_plain", "is_answered", "label_of", "number_text"]
