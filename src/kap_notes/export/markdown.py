"""Markdown (as Jupyter writes it) → report blocks, through mistune's syntax tree.

Text stays data all the way to typst (no markup is generated), so nothing a note contains can
change the layout or run typst code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import mistune

from kap_notes.export.html import html_blocks
from kap_notes.export.sections import Block

__all__ = ["markdown_blocks", "plain_text"]

_PARSE = mistune.create_markdown(renderer=None, plugins=["table", "strikethrough"])
_STYLES = {"strong": "strong", "emphasis": "emph", "strikethrough": "emph"}


def plain_text(tokens: Iterable[Mapping[str, Any]]) -> str:
    """The text of some tokens without formatting."""
    parts = []
    for token in tokens:
        if "raw" in token and token["type"] != "block_html":
            parts.append(str(token["raw"]))
        elif token["type"] in ("softbreak", "linebreak"):
            parts.append(" ")
        parts.append(plain_text(token.get("children", ())))
    return "".join(parts)


def _spans(tokens: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    spans: list[dict[str, Any]] = []
    for token in tokens:
        kind = token["type"]
        children = token.get("children", ())
        if kind in ("text", "inline_html"):
            spans.append({"t": "text", "v": str(token.get("raw", ""))})
        elif kind in _STYLES:
            spans.append({"t": _STYLES[kind], "c": _spans(children)})
        elif kind == "codespan":
            spans.append({"t": "code", "v": str(token["raw"])})
        elif kind == "link":
            spans.append({"t": "link", "url": str(token["attrs"]["url"]), "c": _spans(children)})
        elif kind == "image":
            spans.append({"t": "text", "v": f"[image: {plain_text(children)}]"})
        elif kind == "softbreak":
            spans.append({"t": "text", "v": " "})
        elif kind == "linebreak":
            spans.append({"t": "br"})
        else:
            spans.extend(_spans(children))
    return spans


def _table(token: Mapping[str, Any]) -> Block:
    head: list[str] = []
    rows: list[list[str]] = []
    for part in token["children"]:
        if part["type"] == "table_head":
            head = [plain_text(cell["children"]) for cell in part["children"]]
        else:
            rows += [
                [plain_text(c["children"]) for c in row["children"]] for row in part["children"]
            ]
    width = max([len(head), *(len(r) for r in rows)])
    rows = [r + [""] * (width - len(r)) for r in rows]
    return {
        "kind": "table",
        "caption": "",
        "header": head + [""] * (width - len(head)),
        "rows": rows,
    }


def _blocks(tokens: Iterable[Mapping[str, Any]]) -> list[Block]:
    blocks: list[Block] = []
    for token in tokens:
        kind = token["type"]
        children = token.get("children", ())
        if kind == "heading":
            level = min(int(token["attrs"]["level"]), 4)
            blocks.append({"kind": "heading", "level": level, "text": plain_text(children)})
        elif kind in ("paragraph", "block_text"):
            blocks.append({"kind": "paragraph", "inlines": _spans(children)})
        elif kind == "list":
            items = [_blocks(item.get("children", ())) for item in children]
            ordered = bool(token["attrs"].get("ordered"))
            blocks.append({"kind": "list", "ordered": ordered, "items": items})
        elif kind == "block_code":
            blocks.append({"kind": "code", "text": str(token["raw"]).rstrip("\n")})
        elif kind == "block_quote":
            blocks.append({"kind": "quote", "blocks": _blocks(children)})
        elif kind == "thematic_break":
            blocks.append({"kind": "rule"})
        elif kind == "table":
            blocks.append(_table(token))
        elif kind == "block_html":
            blocks.extend(html_blocks(str(token["raw"])))
    return blocks


def markdown_blocks(source: str) -> list[Block]:
    """Report blocks for one markdown cell."""
    tokens = _PARSE(source)
    return _blocks(tokens if isinstance(tokens, list) else [])
