"""A note's answers laid out as report blocks, following its template's item order and wording.

Blocks are plain JSON-friendly dicts the typst templates render (see ``templates/report/kap.typ``):
``heading`` (level, text), ``fields`` (rows of [label, value]), ``table`` (caption, header, rows).
Answers to items that are disabled by their ``enableWhen`` are left out, like the form hides them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kap_notes.export.values import display_value, is_answered, label_of, number_text
from kap_notes.forms import FormDefinition, Item, prune_disabled

Block = dict[str, Any]

__all__ = ["Block", "instrument_scores", "note_blocks", "score_text"]


def note_blocks(
    definition: FormDefinition, answers: Mapping[str, Any], computed: Mapping[str, Any]
) -> list[Block]:
    """The note's content: one heading per answered group, labelled answers, row tables."""
    return _items(definition, definition.items, prune_disabled(definition, answers), computed, 2)


def _items(
    definition: FormDefinition,
    items: Sequence[Item],
    answers: Mapping[str, Any],
    computed: Mapping[str, Any],
    level: int,
) -> list[Block]:
    blocks: list[Block] = []
    fields: list[list[str]] = []

    def add(new: list[Block]) -> None:
        if new:
            if fields:
                blocks.append({"kind": "fields", "rows": list(fields)})
                fields.clear()
            blocks.extend(new)

    for item in items:
        link = item.link_id
        if item.type == "display":
            continue
        if item.type == "group" and not item.repeats:
            inner = _items(definition, item.items, answers, computed, level + 1)
            add([{"kind": "heading", "level": level, "text": item.text}, *inner] if inner else [])
        elif item.is_repeating_group:
            add(_rows_table(item, answers.get(link), computed.get(link)))
        elif item.instrument_url is not None:
            instrument = definition.instrument_for(item)
            add(_instrument(instrument, item, answers.get(link), computed.get(link), level))
        else:
            raw = computed.get(link) if item.is_computed else answers.get(link)
            text = display_value(item, raw)
            if text:
                fields.append([item.text, text])
    if fields:
        blocks.append({"kind": "fields", "rows": fields})
    return blocks


def _rows_table(item: Item, rows: Any, computed_rows: Any) -> list[Block]:
    if not isinstance(rows, list) or not rows:
        return []
    extra = computed_rows if isinstance(computed_rows, list) else []
    merged = [
        {**(row if isinstance(row, Mapping) else {}), **(extra[i] if i < len(extra) else {})}
        for i, row in enumerate(rows)
    ]
    columns = [
        child
        for child in item.items
        if child.type not in ("display", "group")
        and any(is_answered(r.get(child.link_id)) for r in merged)
    ]
    if not columns:
        return []
    return [
        {
            "kind": "table",
            "caption": item.text,
            "header": [label_of(c) for c in columns],
            "rows": [
                [display_value(c, row.get(c.link_id), with_unit=False) for c in columns]
                for row in merged
            ],
        }
    ]


def score_text(score: Mapping[str, Any]) -> str:
    """``12 (Moderate)`` from a score dict, or an empty string without a total."""
    total = score.get("total")
    if total is None or isinstance(total, bool):
        return ""
    band = score.get("band_label")
    return number_text(total) + (f" ({band})" if band else "")


def _instrument(
    instrument: FormDefinition, item: Item, answers: Any, score: Any, level: int
) -> list[Block]:
    if not isinstance(answers, Mapping) or not answers:
        return []
    rows = [
        [child.text, text]
        for child, _ in instrument.walk()
        if child.type not in ("display", "group")
        and (text := display_value(child, answers.get(child.link_id)))
    ]
    scored = score if isinstance(score, Mapping) else {}
    spec = instrument.score
    if spec is not None and (total := score_text(scored)):
        span = ""
        if spec.total_min is not None and spec.total_max is not None:
            span = f" ({number_text(spec.total_min)}\u2013{number_text(spec.total_max)})"
        rows.append([f"Total score{span}", total])
    for name, label in spec.derived_labels.items() if spec else ():
        value = scored.get(name)
        if value is not None:
            rows.append(
                [label, number_text(value) if isinstance(value, int | float) else str(value)]
            )
    title = item.text if item.text != instrument.title else instrument.title
    return [{"kind": "heading", "level": level, "text": title}, {"kind": "fields", "rows": rows}]


def instrument_scores(
    definition: FormDefinition, computed: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Every scored instrument of a note: ``{link_id, title, total, band, band_label, loinc}``."""
    found = []
    for item, row_group in definition.walk():
        if item.instrument_url is None or row_group is not None:
            continue
        score = computed.get(item.link_id)
        if not isinstance(score, Mapping) or score.get("total") is None:
            continue
        instrument = definition.instrument_for(item)
        found.append(
            {
                "link_id": item.link_id,
                "instrument": instrument.name,
                "title": instrument.title,
                "total": score["total"],
                "band": score.get("band"),
                "band_label": score.get("band_label"),
                "loinc": score.get("loinc"),
                "total_min": instrument.score.total_min if instrument.score else None,
                "total_max": instrument.score.total_max if instrument.score else None,
            }
        )
    return found
