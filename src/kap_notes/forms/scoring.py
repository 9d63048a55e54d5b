"""Instrument scoring from the template's declarative `score` section."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kap_notes.forms.definition import Band, FormDefinition
from kap_notes.forms.scope import Scope
from kap_notes.forms.values import to_json


def score_instrument(
    instrument: FormDefinition, answers: Mapping[str, Any], context: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Total, band, completeness and derived values of one administration.

    Returns ``{"instrument": name, "total": int|float|None, "band": code|None, "band_label": ...,
    "loinc": total LOINC|None, "complete": bool, <derived name>: value, ...}`` (JSON-friendly).
    """
    from kap_notes.forms.expressions import evaluate  # noqa: PLC0415 - avoids an import cycle

    spec = instrument.score
    scope = Scope.for_form(instrument, answers if isinstance(answers, Mapping) else {}, context)
    total = evaluate(spec.total, scope) if spec is not None and spec.total is not None else None
    if isinstance(total, bool) or not isinstance(total, int | float):
        total = None
    if (
        spec is not None
        and total is not None
        and not _within(total, spec.total_min, spec.total_max)
    ):
        total = None  # an entered total outside the instrument's range is reported by validation
    band = band_for(instrument, total)
    result: dict[str, Any] = {
        "instrument": instrument.name,
        "total": total,
        "band": band.code if band else None,
        "band_label": band.label if band else None,
        "loinc": spec.total_loinc if spec else None,
        "complete": total is not None,
    }
    if spec is not None and spec.derived:
        # derived values may read the total as {context: total}
        derived_scope = Scope.for_form(instrument, scope.answers, {**scope.context, "total": total})
        for name, expression in spec.derived.items():
            result[name] = to_json(evaluate(expression, derived_scope))
    return result


def band_for(instrument: FormDefinition, total: float | None) -> Band | None:
    """The severity band containing `total` (inclusive bounds), if any."""
    if total is None or instrument.score is None:
        return None
    return next((b for b in instrument.score.bands if b.min <= total <= b.max), None)


def _within(value: float, low: float | None, high: float | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)
