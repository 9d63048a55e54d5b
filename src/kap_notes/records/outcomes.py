"""Outcomes over a course: which instruments are charted, their totals per signed note, the
baseline and each instrument's published change rule. The notebook and the PDF both draw from
this; they only draw.

- **Instruments**: :data:`CHARTED_INSTRUMENTS`, in panel order; an instrument appears once a
  signed note scored it.
- **Totals** come from the signed record (signed notes no revision superseded, no process notes),
  read from the values frozen at signing (:func:`records.derived.instrument_totals`).
- **Baseline** = :func:`records.derived.baseline` (the one rule).
- **Rules** are template data (``outcome:`` in ``templates/instruments/*.yaml``): response
  (≥ x % below baseline) and remission (total below y) for depression scales; reliable and
  clinically meaningful change in points for PCL-5; GAD-7 is charted with no rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kap_notes.forms import get_template
from kap_notes.forms.definition import Band, OutcomeRule
from kap_notes.model.note import Note
from kap_notes.records.chart import NoteView
from kap_notes.records.derived import baseline, instrument_totals
from kap_notes.records.display import number_text

#: The instruments charted over a course (notebook and PDF), in panel order.
CHARTED_INSTRUMENTS: tuple[str, ...] = ("phq9", "gad7", "pcl5", "qids_sr16", "madrs")
#: The C-SSRS screener: its clinician-entered risk level is shown per note.
SCREENER = "cssrs_screener"

__all__ = [
    "CHARTED_INSTRUMENTS",
    "SCREENER",
    "Guide",
    "Point",
    "Series",
    "in_signed_record",
    "instrument_labels",
    "outcome_series",
    "rule_of",
    "screener_risk",
    "series_for",
]


def in_signed_record(view: NoteView) -> bool:
    """A signed note that no revision superseded (process notes never count)."""
    return (
        view.note.signature is not None and view.status != "superseded" and not view.is_process_note
    )


def rule_of(instrument: str) -> OutcomeRule:
    """The instrument's change rule (its current template's ``outcome:``; none = no rule)."""
    definition = get_template(instrument)
    label = definition.title.split(" (")[0]
    return definition.outcome or OutcomeRule(label=label)


def instrument_labels() -> dict[str, str]:
    """``{instrument: short label}`` of the charted instruments, in panel order."""
    return {key: rule_of(key).label for key in CHARTED_INSTRUMENTS}


@dataclass(frozen=True)
class Guide:
    """A horizontal line drawn on an instrument's chart (baseline or a rule's threshold)."""

    kind: str  # baseline · response · remission · reliable · meaningful
    value: float
    label: str


@dataclass(frozen=True)
class Point:
    """One signed note's total with what the instrument's rule says about it."""

    date: str
    note_id: str
    total: float
    change: float | None = None  # points from baseline (negative = lower = better)
    change_pct: int | None = None
    response: bool | None = None
    remission: bool | None = None
    reliable: bool | None = None  # at least the reliable-change points below baseline
    meaningful: bool | None = None  # at least the clinically meaningful points below baseline

    def meets(self, kind: str) -> bool:
        return getattr(self, kind, None) is True


@dataclass(frozen=True)
class Series:
    """One instrument across the course: points in course order, baseline and rule."""

    instrument: str
    rule: OutcomeRule
    baseline: float | None
    baseline_note: str | None
    points: tuple[Point, ...]
    total_min: float | None = None
    total_max: float | None = None
    bands: tuple[Band, ...] = ()

    @property
    def label(self) -> str:
        return self.rule.label

    def guides(self) -> list[Guide]:
        """The lines to draw: the baseline, then each threshold the rule publishes."""
        rule, base = self.rule, self.baseline
        lines: list[Guide] = []
        if base is not None:
            lines.append(Guide("baseline", base, f"Baseline {number_text(base)}"))
        if base and rule.response_drop_percent:
            value = base * (1 - rule.response_drop_percent / 100)
            lines.append(
                Guide(
                    "response",
                    value,
                    f"Response: ≥ {number_text(rule.response_drop_percent)} % drop "
                    f"(≤ {number_text(round(value, 2))})",
                )
            )
        for kind, points, words in (
            ("reliable", rule.reliable_change_points, "Reliable change"),
            ("meaningful", rule.meaningful_change_points, "Clinically meaningful change"),
        ):
            if base is not None and points:
                value = base - points
                if value >= (self.total_min or 0):
                    text = f"{words}: ≥ {number_text(points)} points (≤ {number_text(value)})"
                    lines.append(Guide(kind, value, text))
        if rule.remission_below is not None:
            below = number_text(rule.remission_below)
            lines.append(Guide("remission", rule.remission_below, f"Remission (< {below})"))
        return lines

    def meeting(self, kind: str) -> list[Point]:
        """The points that meet the rule ``kind`` (response, reliable, meaningful, remission)."""
        return [p for p in self.points if p.meets(kind)]


def _course_key(view: NoteView) -> tuple[str, str, str]:
    signed_at = str((view.note.signature or {}).get("signed_at", ""))
    return (view.note.session_date or "", signed_at, view.note.note_id)


def series_for(instrument: str, views: Iterable[NoteView]) -> Series:
    """``instrument`` across the signed record of ``views`` (possibly without points)."""
    current = sorted((v for v in views if in_signed_record(v)), key=_course_key)
    notes: list[Note] = [v.note for v in current]
    found = baseline(instrument, notes)
    base, base_note = (found[0], found[1]) if found is not None else (None, None)
    rule = rule_of(instrument)
    points = []
    for view in current:
        total = instrument_totals(view.note).get(instrument)
        if total is not None:
            points.append(_point(instrument, view.note, total, base, rule))
    spec = get_template(instrument).score
    return Series(
        instrument,
        rule,
        base,
        base_note,
        tuple(points),
        spec.total_min if spec else None,
        spec.total_max if spec else None,
        spec.bands if spec else (),
    )


def outcome_series(views: Iterable[NoteView]) -> list[Series]:
    """Every charted instrument some signed note scored, in :data:`CHARTED_INSTRUMENTS` order."""
    views = list(views)
    found = (series_for(key, views) for key in CHARTED_INSTRUMENTS)
    return [s for s in found if s.points]


def _point(
    instrument: str, note: Note, total: float, base: float | None, rule: OutcomeRule
) -> Point:
    change = None if base is None else total - base
    drop_pct = None if change is None or not base else -change / base * 100
    remission = None if rule.remission_below is None else total < rule.remission_below
    change_pct = None if drop_pct is None else round(-drop_pct)
    response = _at_least(drop_pct, rule.response_drop_percent)
    # A note that froze its own change from baseline at signing is shown with those values, so
    # the note and the course summary never disagree (the course baseline may move later).
    frozen = note.extra.get("computed") if note.signature is not None else None
    if isinstance(frozen, Mapping):
        own_pct = frozen.get(f"{instrument}_change_percent")
        if isinstance(own_pct, int | float) and not isinstance(own_pct, bool):
            change_pct = round(own_pct)
        own_response = frozen.get(f"{instrument}_response")
        if isinstance(own_response, bool):
            response = own_response
    return Point(
        date=note.session_date or "",
        note_id=note.note_id,
        total=total,
        change=change,
        change_pct=change_pct,
        response=response,
        remission=remission,
        reliable=_at_least(None if change is None else -change, rule.reliable_change_points),
        meaningful=_at_least(None if change is None else -change, rule.meaningful_change_points),
    )


def _at_least(value: float | None, threshold: float | None) -> bool | None:
    if threshold is None or value is None:
        return None
    return value >= threshold


def screener_risk(computed: Mapping[str, Any]) -> str | None:
    """The C-SSRS screener's risk level in a note's computed values, as its option reads
    (``Moderate (item 3 or lifetime behaviour)``); None when the note has no screener."""
    for score in computed.values():
        if isinstance(score, Mapping) and score.get("instrument") == SCREENER:
            code = score.get("risk_level")
            if code is None:
                return None
            item = get_template(SCREENER).find("cssrs_risk")
            option = item.option_for(code) if item is not None else None
            return option.display if option is not None else str(code)
    return None
