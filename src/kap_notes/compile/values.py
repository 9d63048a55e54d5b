"""Per-note values a progress notebook shows: computed scores and review flags.

Signed notes carry what was computed and flagged when they were signed; drafts are assessed now
with the same service code, so every reader sees the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kap_notes.forms import ClinicSettings, get_template
from kap_notes.model.note import Note
from kap_notes.service.assess import assess, context_for


@dataclass(frozen=True)
class NoteValues:
    """What a note computed and flagged."""

    computed: dict[str, Any]
    flags: list[dict[str, Any]]


def note_values(note: Note, others: Sequence[Note], settings: ClinicSettings) -> NoteValues:
    """Stored values for signed notes; a fresh assessment for drafts."""
    stored = note.extra.get("computed")
    if note.signature is not None and isinstance(stored, Mapping):
        flags = note.extra.get("flags")
        return NoteValues(dict(stored), [dict(f) for f in flags] if isinstance(flags, list) else [])
    version = note.template.get("version") if note.template else None
    definition = get_template(note.form, version)
    context = context_for(note.form, note.answers, [n for n in others if n.note_id != note.note_id])
    assessment = assess(definition, note.answers, context, settings)
    return NoteValues(assessment.computed, [f.as_dict() for f in assessment.flags])


def instrument_total(computed: Mapping[str, Any], instrument: str) -> float | None:
    """The total of an embedded instrument score (``None`` when not given)."""
    score = computed.get(instrument)
    if isinstance(score, Mapping):
        total = score.get("total")
        if isinstance(total, int | float) and not isinstance(total, bool):
            return total
    return None


def instrument_band(computed: Mapping[str, Any], instrument: str) -> str | None:
    """The band label of an embedded instrument score."""
    score = computed.get(instrument)
    if isinstance(score, Mapping) and score.get("band_label"):
        return str(score["band_label"])
    return None


def display(form: str, link_id: str, answer: Any) -> str:
    """An answer as its template displays it (option text rather than code)."""
    if answer is None or answer == "":
        return ""
    item = get_template(form).find(link_id)
    option = item.option_for(answer) if item is not None else None
    return option.display if option is not None else str(answer)


def as_number(value: Any) -> float | None:
    """A numeric answer, or ``None`` (booleans and text are not numbers here)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return int(value) if value.strip().lstrip("-").isdigit() else float(value)
        except ValueError:
            return None
    return None
