"""Assessing answers against their template: validation, computed values and review flags.

The context a template asks for (patient weight for mg/kg, the linked dosing date, the baseline
PHQ-9) comes from the patient's other notes, so every caller computes the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kap_notes.forms import (
    ClinicSettings,
    Flag,
    FormDefinition,
    ValidationResult,
    compute,
    flags,
    get_template,
    validate,
)
from kap_notes.model.note import Note

#: Issue kinds that only mean "not finished yet": fine for a draft, block signing.
INCOMPLETE_KINDS = frozenset({"required", "signing"})


@dataclass(frozen=True)
class Assessment:
    """What the template says about one answer set."""

    definition: FormDefinition
    validation: ValidationResult
    computed: dict[str, Any]
    flags: list[Flag] = field(default_factory=list)

    @property
    def wrong_values(self) -> list[str]:
        """Errors that are more than missing answers (a typo, a value out of range)."""
        return [i.message for i in self.validation.errors if i.kind not in INCOMPLETE_KINDS]


def session_date(answers: Mapping[str, Any]) -> str | None:
    """The session's date (YYYY-MM-DD) from whichever date field the form has."""
    for key in ("session_datetime", "session_date"):
        value = answers.get(key)
        if isinstance(value, str) and len(value) >= 10:
            return value[:10]
    return None


def _latest(notes: Iterable[Note], form: str) -> Note | None:
    matching = [n for n in notes if n.form == form]
    return max(matching, key=lambda n: (n.session_date or "", n.updated_at or ""), default=None)


def context_for(form: str, answers: Mapping[str, Any], notes: Iterable[Note]) -> dict[str, Any]:
    """Values a form needs from the patient's other notes."""
    notes = list(notes)
    context: dict[str, Any] = {}
    preparation = _latest(notes, "preparation")
    if preparation is not None:
        context["patient_weight_kg"] = preparation.answers.get("weight_kg")
        baseline = preparation.answers.get("phq9")
        if isinstance(baseline, Mapping):
            scored = compute(get_template("phq9"), baseline)
            context["baseline_phq9_total"] = scored.get("total")
    if form == "integration":
        linked = answers.get("linked_dosing_note_id")
        by_id = {n.note_id: n for n in notes}
        dosing = by_id.get(str(linked)) if linked else _latest(notes, "dosing")
        if dosing is not None:
            context["dosing_note_id"] = dosing.note_id
            context["dosing_date"] = session_date(dosing.answers)
    return {k: v for k, v in context.items() if v is not None}


def assess(
    definition: FormDefinition,
    answers: Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
    settings: ClinicSettings | None = None,
) -> Assessment:
    """Validate, compute and flag ``answers`` in one go."""
    return Assessment(
        definition=definition,
        validation=validate(definition, answers, context),
        computed=compute(definition, answers, context),
        flags=flags(definition, answers, context, settings),
    )
