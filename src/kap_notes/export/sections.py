"""A note's answers laid out as report blocks: :mod:`kap_notes.records.layout`, shared with the
review preview (re-exported here for the exporters)."""

from __future__ import annotations

from kap_notes.records.layout import Block, instrument_scores, note_blocks, score_text

__all__ = ["Block", "instrument_scores", "note_blocks", "score_text"]
