"""Fields filled from what the note already holds (the Spravato REMS form from the vitals rows,
the dose and the discharge), editable: only empty fields, or fields still holding the value this
module put there, are (re)filled, and only when those sources change.

The expressions are the ones the dosing template's REMS flags compare against, so a prefilled
REMS form never raises those flags; the clinician can overwrite any value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kap_notes.forms import FormDefinition
from kap_notes.forms.expressions import evaluate
from kap_notes.forms.scope import Scope
from kap_notes.forms.values import parse_number

_FORTY_MIN = {
    "op": "nearest",
    "item": "vitals",
    "by": "measured_at",
    "args": [{"op": "add_minutes", "args": [{"item": "start_time"}, {"const": 40}]}],
}


def _row(op: str, field: str) -> dict[str, Any]:
    base = _FORTY_MIN if op == "nearest" else {"op": op, "item": "vitals"}
    return {**base, "field": field}


#: REMS field → (expression over the note, vitals rows needed) — the REMS flags' expressions.
REMS_SOURCES: dict[str, tuple[dict[str, Any], int]] = {
    "rems_bp_before_systolic": (_row("first", "systolic"), 1),
    "rems_bp_before_diastolic": (_row("first", "diastolic"), 1),
    "rems_bp_40min_systolic": (_row("nearest", "systolic"), 2),
    "rems_bp_40min_diastolic": (_row("nearest", "diastolic"), 2),
    "rems_bp_completion_systolic": (_row("last", "systolic"), 2),
    "rems_bp_completion_diastolic": (_row("last", "diastolic"), 2),
    "rems_monitoring_minutes": ({"item": "minutes_monitored"}, 0),
    "rems_lot": ({"item": "lot_number"}, 0),
}
#: Spravato's dose choices (mg) on the REMS form; any other dose is "other" with its mg.
REMS_DOSES = {56: "56", 84: "84"}
#: The group whose visibility decides whether the REMS form is in use.
REMS_GROUP = "rems_lot"


def rems_dose(dose: Any) -> dict[str, Any]:
    """``rems_dose`` (and ``rems_dose_other_mg``) for the dose recorded in the note."""
    mg = parse_number(dose)
    if mg is None:
        return {"rems_dose": None, "rems_dose_other_mg": None}
    code = REMS_DOSES.get(int(mg)) if float(mg).is_integer() else None
    return {"rems_dose": code or "other", "rems_dose_other_mg": None if code else mg}


class Prefill:
    """Computes the prefill of one template's fields; remembers what it put where."""

    def __init__(self, definition: FormDefinition) -> None:
        self.definition = definition
        self.active = all(definition.find(link) is not None for link in REMS_SOURCES)
        self.filled: dict[str, Any] = {}
        self._last_sources: dict[str, Any] | None = None

    def proposals(
        self, answers: Mapping[str, Any], context: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Target → value computed from ``answers``; None when the sources did not change."""
        if not self.active:
            return None
        scope = Scope.for_form(self.definition, answers, context)
        rows = answers.get("vitals")
        answered = len(rows) if isinstance(rows, list) else 0
        values = {
            link: evaluate(expression, scope) if answered >= needed else None
            for link, (expression, needed) in REMS_SOURCES.items()
        }
        values.update(rems_dose(answers.get("dose_mg")))
        if values == self._last_sources:
            return None
        self._last_sources = values
        return values

    def apply(
        self,
        proposals: Mapping[str, Any],
        current: Callable[[str], Any],
        put: Callable[[str, Any], None],
    ) -> list[str]:
        """Fill each target that is empty or still holds this prefill's value; the links set."""
        changed: list[str] = []
        for link, value in proposals.items():
            now = current(link)
            mine = link in self.filled and now == self.filled[link]
            if now is not None and not mine:
                continue  # typed by the clinician: never overwritten
            if value == now:
                continue
            put(link, value)
            changed.append(link)
            if value is None:
                self.filled.pop(link, None)
            else:
                self.filled[link] = current(link)
        return changed
