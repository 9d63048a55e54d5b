"""A note's derived values (computed items, scores, bands, flags): one way for every view.

The rules, written once (DOMAIN.md "Derived values and course rules"):

- **As of its session.** A draft's values come only from the patient's *signed* notes dated on or
  before the draft's session date (a revision's original and superseded versions never count).
  Unsigned drafts, and notes dated later, never change another note's numbers.
- **Baseline** of an instrument = its first signed score in the course (earliest session date,
  then earliest signing), e.g. the PHQ-9 of the preparation note. Charts use the same rule.
- **Weight** for mg/kg = the latest signed ``weight_kg`` on or before the session date.
- **Linked dosing note** of an integration note = the signed dosing note it names (even if dated
  later, so the date check can say so), else the latest signed dosing note on or before its date.
- **Frozen at signing.** Signing stores the computed values and flags in the signed content with
  the ids of the notes used and the clinic-settings version (:func:`frozen_content`); a signed note
  always shows exactly those, whatever is written or configured later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kap_notes.forms import ClinicSettings, FormDefinition, compute, get_template
from kap_notes.model.note import Note
from kap_notes.records.assess import Assessment, assess, session_date

#: The baseline rule, as shown to readers (notebooks, exports) next to baseline-derived values.
BASELINE_RULE = (
    "Baseline = the first signed score of that instrument in the course "
    "(earliest session date, then earliest signing)."
)
#: Days a dosing session looks back over when counting sessions for the course-rule context.
DOSING_WINDOW_DAYS = 7


@dataclass(frozen=True)
class Derived:
    """What a note computes and flags, and what it was computed from."""

    computed: dict[str, Any]
    flags: list[dict[str, Any]]
    #: Ids of the signed notes the values came from (weight, baseline, linked dosing, ...).
    source_notes: list[str] = field(default_factory=list)
    #: The clinic-settings version the flags used (None for notes signed before versions existed).
    settings_version: int | None = None
    #: True when these values were frozen into a signed note; False when computed as of now.
    frozen: bool = False

    def provenance(self) -> dict[str, Any]:
        """The ``derived_from`` block stored in a signed note."""
        return {"notes": list(self.source_notes), "settings_version": self.settings_version}


def definition_of(note: Note) -> FormDefinition:
    """The template (url and version) a note was written with."""
    if note.template:
        return get_template(note.template.get("url") or note.form, note.template.get("version"))
    return get_template(note.form)


def eligible_sources(note: Note, others: Iterable[Note]) -> list[Note]:
    """The signed notes ``note`` may draw on, oldest first (the as-of rule above)."""
    others = [o for o in others if o.note_id != note.note_id and o.signature is not None]
    revised = {_revises(o) for o in others} | {_revises(note)}
    cutoff = note.session_date
    eligible = [
        o
        for o in others
        if o.note_id not in revised
        and o.extra.get("note_class") != "process"
        and (cutoff is None or (o.session_date is not None and o.session_date <= cutoff))
    ]
    return sorted(eligible, key=_course_order)


def _revises(note: Note) -> str | None:
    revises = note.extra.get("revises")
    return str(revises.get("note")) if isinstance(revises, Mapping) else None


def _course_order(note: Note) -> tuple[str, str, str]:
    signed_at = str((note.signature or {}).get("signed_at", ""))
    return (note.session_date or "", signed_at, note.note_id)


def instrument_totals(note: Note) -> dict[str, float]:
    """Totals of every instrument a note scored (frozen values for signed notes)."""
    computed = note.extra.get("computed")
    if not isinstance(computed, Mapping):
        computed = compute(definition_of(note), note.answers)
    totals: dict[str, float] = {}
    for key, score in computed.items():
        if isinstance(score, Mapping):
            total = score.get("total")
            if isinstance(total, int | float) and not isinstance(total, bool):
                totals[key] = total
    return totals


def baseline(instrument: str, notes: Sequence[Note]) -> tuple[float, str] | None:
    """(total, note id) of the first signed score of ``instrument`` in course order."""
    for source in sorted((n for n in notes if n.signature is not None), key=_course_order):
        total = instrument_totals(source).get(instrument)
        if total is not None:
            return total, source.note_id
    return None


def context_as_of(note: Note, others: Iterable[Note]) -> tuple[dict[str, Any], list[str]]:
    """The context values ``note``'s template may read, and the ids of the notes they came from."""
    others = list(others)
    sources = eligible_sources(note, others)
    context: dict[str, Any] = {}
    used: list[str] = []

    weighed = [s for s in sources if _number(s.answers.get("weight_kg")) is not None]
    if weighed:
        context["patient_weight_kg"] = _number(weighed[-1].answers["weight_kg"])
        used.append(weighed[-1].note_id)

    for instrument in ("phq9", "pcl5"):
        found = baseline(instrument, sources)
        if found is not None:
            context[f"baseline_{instrument}_total"], source_id = found
            used.append(source_id)

    if note.form == "integration":
        dosing = _linked_dosing(note, sources, others)
        if dosing is not None:
            context["dosing_note_id"] = dosing.note_id
            context["dosing_date"] = session_date(dosing.answers)
            used.append(dosing.note_id)

    if note.form == "dosing" and note.session_date:
        recent = _dosing_within(note.session_date, sources)
        context["dosing_sessions_in_7_days"] = len(recent) + 1
        used += [s.note_id for s in recent]
    return {k: v for k, v in context.items() if v is not None}, list(dict.fromkeys(used))


def context_for(
    form: str, answers: Mapping[str, Any], notes: Iterable[Note], note_id: str = ""
) -> dict[str, Any]:
    """The as-of context for answers being typed (a form that is not saved yet)."""
    draft = Note(note_id, "", 0, form, dict(answers), "", session_date=session_date(answers))
    return context_as_of(draft, notes)[0]


def _linked_dosing(note: Note, sources: Sequence[Note], others: Sequence[Note]) -> Note | None:
    """The signed dosing note named by the answers (whatever its date), else the latest as of."""
    linked = note.answers.get("linked_dosing_note_id")
    if linked:
        named = (o for o in others if o.note_id == str(linked) and o.signature is not None)
        return next((o for o in named if o.form == "dosing"), None)
    dosing = [s for s in sources if s.form == "dosing"]
    return dosing[-1] if dosing else None


def _dosing_within(day: str, sources: Sequence[Note]) -> list[Note]:
    try:
        end = dt.date.fromisoformat(day[:10])
    except ValueError:
        return []
    start = end - dt.timedelta(days=DOSING_WINDOW_DAYS - 1)
    return [
        s
        for s in sources
        if s.form == "dosing" and s.session_date and start.isoformat() <= s.session_date[:10]
    ]


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def assess_as_of(
    note: Note,
    others: Iterable[Note],
    settings: ClinicSettings | None = None,
    definition: FormDefinition | None = None,
) -> tuple[Assessment, list[str]]:
    """Validate, compute and flag ``note`` against the signed record as of its session."""
    definition = definition or definition_of(note)
    context, used = context_as_of(note, others)
    return assess(definition, note.answers, context, settings), used


def frozen_values(note: Note) -> Derived | None:
    """The values frozen into a signed note, or None for a draft."""
    computed = note.extra.get("computed")
    if note.signature is None or not isinstance(computed, Mapping):
        return None
    flags = note.extra.get("flags")
    provenance = note.extra.get("derived_from")
    provenance = provenance if isinstance(provenance, Mapping) else {}
    version = provenance.get("settings_version")
    return Derived(
        computed=dict(computed),
        flags=[dict(f) for f in flags] if isinstance(flags, list) else [],
        source_notes=[str(n) for n in provenance.get("notes", [])],
        settings_version=int(version) if isinstance(version, int) else None,
        frozen=True,
    )


def derived_values(
    note: Note,
    others: Iterable[Note],
    settings: ClinicSettings | None = None,
    settings_version: int | None = None,
) -> Derived:
    """A note's derived values: frozen ones for a signed note, as of its session for a draft."""
    frozen = frozen_values(note)
    if frozen is not None:
        return frozen
    assessment, used = assess_as_of(note, others, settings)
    return Derived(
        computed=assessment.computed,
        flags=[f.as_dict() for f in assessment.flags],
        source_notes=used,
        settings_version=settings_version,
    )


def frozen_content(derived: Derived) -> dict[str, Any]:
    """The keys signing adds to a note's content so its values never change afterwards."""
    return {
        "computed": derived.computed,
        "flags": derived.flags,
        "derived_from": derived.provenance(),
    }
