"""Assessing answers against their template: validation, computed values and review flags.

The context a template asks for (patient weight for mg/kg, the linked dosing date, the baseline
PHQ-9) comes from :mod:`kap_notes.records.derived`, so every caller computes the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kap_notes.forms import (
    ClinicSettings,
    Flag,
    FormDefinition,
    ValidationResult,
    compute,
    flags,
    validate,
)

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
