"""Immutable, typed view of a loaded template (form or instrument)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Answers = dict[str, Any]
"""`{linkId: answer}`; a repeating group's answer is a list of such dicts, an instrument a dict."""

Expression = Mapping[str, Any]
"""A computed-value expression in the declarative vocabulary (see `expressions.OPERATORS`)."""

ITEM_TYPES = (
    "string",
    "text",
    "boolean",
    "integer",
    "decimal",
    "date",
    "dateTime",
    "choice",
    "open-choice",
    "multi-choice",
    "group",
    "instrument",
    "display",
)
EN_DASH = "\u2013"
NUMERIC_TYPES = frozenset({"integer", "decimal"})


@dataclass(frozen=True)
class Option:
    """One allowed answer of a choice item; `value` is the numeric score, if any."""

    code: str | int
    display: str
    value: float | None = None


@dataclass(frozen=True)
class EnableWhen:
    """FHIR-style condition: `question` (a linkId) `operator` `answer`."""

    question: str
    operator: str
    answer: Any = None


@dataclass(frozen=True)
class Item:
    """One question, group, computed value, display text or embedded instrument."""

    link_id: str
    text: str
    type: str
    short: str | None = None
    help: str | None = None
    required: bool = False
    repeats: bool = False
    read_only: bool = False
    hidden: bool = False
    unit: str | None = None
    range_min: float | None = None
    range_max: float | None = None
    max_length: int | None = None
    pattern: str | None = None
    pattern_hint: str | None = None
    options: tuple[Option, ...] = ()
    enable_when: tuple[EnableWhen, ...] = ()
    enable_behavior: str = "all"
    compute: Expression | None = None
    initial_from_context: str | None = None
    instrument_url: str | None = None
    presets: Preset | None = None
    codes: tuple[Mapping[str, str], ...] = ()
    items: tuple[Item, ...] = ()

    @property
    def label(self) -> str:
        """The clinician's words for this item in messages."""
        return self.short or self.text

    @property
    def is_computed(self) -> bool:
        return self.compute is not None

    @property
    def is_repeating_group(self) -> bool:
        return self.type == "group" and self.repeats

    def option_for(self, answer: Any) -> Option | None:
        """The option whose code matches `answer` (compared as text), if any."""
        if isinstance(answer, (bool, dict, list)):
            return None
        wanted = str(answer)
        for option in self.options:
            if str(option.code) == wanted:
                return option
        return None

    def range_text(self) -> str:
        """Allowed range in words, e.g. ``60-260 mmHg`` (with an en dash)."""
        unit = f" {self.unit}" if self.unit else ""
        low, high = _fmt(self.range_min), _fmt(self.range_max)
        if self.range_min is not None and self.range_max is not None:
            return f"{low}{EN_DASH}{high}{unit}"
        if self.range_min is not None:
            return f"at least {low}{unit}"
        return f"at most {high}{unit}"


@dataclass(frozen=True)
class PresetRow:
    """One row a route preset pre-fills (e.g. Spravato ~40 min vitals)."""

    values: Mapping[str, Any]
    offset_min: float | None = None


@dataclass(frozen=True)
class Preset:
    """Rows to pre-fill in a repeating group, chosen by the answer to `by`."""

    by: str
    rows: Mapping[str, tuple[PresetRow, ...]]
    start: str | None = None
    time_field: str | None = None


@dataclass(frozen=True)
class ContextField:
    """A value the form receives from outside (patient weight, linked dosing date)."""

    key: str
    text: str
    type: str
    unit: str | None = None


@dataclass(frozen=True)
class Rule:
    """A cross-field assertion; `scope` names a repeating group to check row by row."""

    id: str
    check: Expression
    message: str
    link_id: str
    scope: str | None = None


@dataclass(frozen=True)
class FlagRule:
    """A for-review flag raised when `when` is true."""

    id: str
    when: Expression
    message: str
    link_id: str
    scope: str | None = None


@dataclass(frozen=True)
class SigningRequirement:
    """Signing is blocked until the (enabled) group `group` is fully answered."""

    group: str
    message: str


@dataclass(frozen=True)
class Band:
    """A severity band of an instrument total (inclusive bounds)."""

    code: str
    label: str
    min: float
    max: float


@dataclass(frozen=True)
class ScoreSpec:
    """How an instrument is scored: total, bands, derived values; all declarative."""

    total: Expression | None = None
    total_min: float | None = None
    total_max: float | None = None
    total_loinc: str | None = None
    bands: tuple[Band, ...] = ()
    derived: Mapping[str, Expression] = field(default_factory=dict)
    derived_labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutcomeRule:
    """How an instrument's change over a course is read (published rules only; None = no rule).

    Response and remission are depression-scale rules; change thresholds in points are for
    scales such as PCL-5. Every threshold is measured against the baseline.
    """

    label: str
    response_drop_percent: float | None = None
    remission_below: float | None = None
    reliable_change_points: float | None = None
    meaningful_change_points: float | None = None
    source: str = ""


@dataclass(frozen=True)
class Migration:
    """Declarative answer migration from one template version to the next."""

    from_version: str
    to_version: str
    rename: Mapping[str, str] = field(default_factory=dict)
    recode: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    drop: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class FormDefinition:
    """A validated template: a session form or an instrument."""

    url: str
    version: str
    name: str
    title: str
    kind: str
    items: tuple[Item, ...]
    note_class: str = "clinical"
    description: str = ""
    codes: tuple[Mapping[str, str], ...] = ()
    item_text: str = "full"
    context: tuple[ContextField, ...] = ()
    rules: tuple[Rule, ...] = ()
    flag_rules: tuple[FlagRule, ...] = ()
    signing_requires: tuple[SigningRequirement, ...] = ()
    score: ScoreSpec | None = None
    #: Instruments charted over a course: their change rule (see :class:`OutcomeRule`).
    outcome: OutcomeRule | None = None
    migrations: tuple[Migration, ...] = ()
    instruments: Mapping[str, FormDefinition] = field(default_factory=dict)
    source: str = "<memory>"

    @property
    def canonical(self) -> str:
        """`url|version`, the FHIR canonical reference notes record."""
        return f"{self.url}|{self.version}"

    def walk(self) -> Iterator[tuple[Item, Item | None]]:
        """Every item with its enclosing repeating group (None at top level / plain groups)."""
        yield from _walk(self.items, None)

    def find(self, link_id: str) -> Item | None:
        """The item with `link_id` anywhere in the form (not inside instruments)."""
        for item, _ in self.walk():
            if item.link_id == link_id:
                return item
        return None

    def instrument_for(self, item: Item) -> FormDefinition:
        """The resolved instrument an `instrument` item embeds."""
        assert item.instrument_url is not None  # noqa: S101 - guaranteed by the loader
        return self.instruments[item.instrument_url]


def _walk(items: tuple[Item, ...], row_group: Item | None) -> Iterator[tuple[Item, Item | None]]:
    for item in items:
        yield item, row_group
        if item.type == "group":
            yield from _walk(item.items, item if item.repeats else row_group)


def _fmt(number: float | None) -> str:
    if number is None:
        return ""
    return str(int(number)) if float(number).is_integer() else str(number)
