"""A note's answers laid out as blocks, following its template's item order and wording.

Blocks are plain JSON-friendly dicts: ``heading`` (level, text), ``fields`` (rows of [label,
value]), ``table`` (caption, header, rows). The PDF renders them with typst
(``templates/report/kap.typ``), the review preview as HTML (:func:`blocks_html`). Every value
comes from :mod:`kap_notes.records.display`. Answers to items disabled by their ``enableWhen``
are left out, like the form hides them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from kap_notes.forms import FormDefinition, Item, prune_disabled
from kap_notes.records.display import display_answer, display_plain, display_rows, number_text

Block = dict[str, Any]

__all__ = ["Block", "blocks_html", "instrument_scores", "note_blocks", "score_text"]


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
            text = display_answer(item, raw)
            if text:
                fields.append([item.text, text])
    if fields:
        blocks.append({"kind": "fields", "rows": fields})
    return blocks


def _rows_table(item: Item, rows: Any, computed_rows: Any) -> list[Block]:
    table = display_rows(item, rows, computed_rows)
    if table is None:
        return []
    header, body = table
    return [{"kind": "table", "caption": item.text, "header": header, "rows": body}]


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
        and (text := display_answer(child, answers.get(child.link_id)))
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
            rows.append([label, display_plain(value)])
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


def blocks_html(blocks: Sequence[Block]) -> str:
    """Blocks as a small HTML fragment (every text escaped): the review preview."""
    parts: list[str] = []
    for block in blocks:
        kind = block.get("kind")
        if kind == "heading":
            level = min(int(block.get("level", 2)) + 2, 6)
            parts.append(f"<h{level}>{escape(str(block['text']))}</h{level}>")
        elif kind == "fields":
            cells = "".join(
                f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>"
                for label, value in block["rows"]
            )
            parts.append(f'<table class="kap-fields">{cells}</table>')
        elif kind == "table":
            head = "".join(f"<th>{escape(h)}</th>" for h in block["header"])
            body = "".join(
                "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                for row in block["rows"]
            )
            caption = f"<caption>{escape(str(block.get('caption', '')))}</caption>"
            parts.append(
                f'<table class="kap-table">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>"
            )
    return "\n".join(parts)
