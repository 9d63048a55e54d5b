"""Per-note values a progress notebook shows: computed scores and review flags.

Signed notes carry what was computed and flagged when they were signed; drafts are assessed as
of their session by :mod:`kap_notes.records.derived`, so every reader sees the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kap_notes.forms import ClinicSettings, FormDefinition, Item, get_template
from kap_notes.forms.values import is_answered
from kap_notes.model.note import Note
from kap_notes.records.derived import derived_values
from kap_notes.records.display import display_answer, display_plain


@dataclass(frozen=True)
class NoteValues:
    """What a note computed and flagged."""

    computed: dict[str, Any]
    flags: list[dict[str, Any]]


def note_values(note: Note, others: Sequence[Note], settings: ClinicSettings) -> NoteValues:
    """Frozen values for signed notes; as of the session for drafts (:mod:`records.derived`)."""
    derived = derived_values(note, others, settings)
    return NoteValues(derived.computed, derived.flags)


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
    """An answer as every view shows it (:func:`kap_notes.records.display.form_answer`), with
    the item looked up once per template (a compile shows thousands of answers)."""
    if not is_answered(answer):
        return ""
    template = get_template(form)
    found = _ITEMS.get((form, link_id))
    if found is None or found[0] is not template:  # first use, or the templates were reloaded
        found = _ITEMS[(form, link_id)] = (template, template.find(link_id))
    item = found[1]
    return display_answer(item, answer) if item is not None else display_plain(answer)


_ITEMS: dict[tuple[str, str], tuple[FormDefinition, Item | None]] = {}


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
