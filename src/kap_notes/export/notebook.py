"""A compiled notebook → report data: markdown cells, code (unless hidden) and the outputs
already in the notebook (PNG charts, HTML tables, text). Nothing is executed."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from kap_notes.export.html import html_blocks
from kap_notes.export.markdown import markdown_blocks
from kap_notes.export.sections import Block

__all__ = ["notebook_document", "output_blocks"]

_HIDE_INPUT = {"remove-input", "hide-input", "remove_input", "hide_input"}
_HIDE_OUTPUT = {"remove-output", "hide-output", "remove_output", "hide_output"}


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def output_blocks(output: Mapping[str, Any]) -> list[Block]:
    """Blocks for one output: the richest format we can show, in memory."""
    kind = output.get("output_type")
    if kind == "stream":
        return [{"kind": "code", "text": _text(output.get("text", "")).rstrip("\n")}]
    if kind == "error":
        return [{"kind": "code", "text": f"{output.get('ename')}: {output.get('evalue')}"}]
    data: Mapping[str, Any] = output.get("data", {})
    if "image/png" in data:
        png = base64.b64decode(_text(data["image/png"]))
        return [{"kind": "image", "png": png, "width": 100}]
    if "text/html" in data:
        return html_blocks(_text(data["text/html"]))
    if "text/markdown" in data:
        return markdown_blocks(_text(data["text/markdown"]))
    if "text/plain" in data:
        return [{"kind": "code", "text": _text(data["text/plain"]).rstrip("\n")}]
    return []


def _cell_blocks(cell: Mapping[str, Any], *, exclude_input: bool) -> list[Block]:
    metadata: Mapping[str, Any] = cell.get("metadata", {})
    tags = set(metadata.get("tags", ()))
    hidden: Mapping[str, Any] = metadata.get("jupyter", {})
    source = _text(cell.get("source", ""))
    if cell.get("cell_type") == "markdown":
        return markdown_blocks(source)
    if cell.get("cell_type") != "code":
        return []
    blocks: list[Block] = []
    if source.strip() and not (exclude_input or tags & _HIDE_INPUT or hidden.get("source_hidden")):
        blocks.append({"kind": "code", "text": source})
    if not (tags & _HIDE_OUTPUT or hidden.get("outputs_hidden")):
        for output in cell.get("outputs", ()):
            blocks += output_blocks(output)
    return blocks


def notebook_document(
    notebook: Mapping[str, Any], *, title: str, exclude_input: bool = False
) -> dict[str, Any]:
    """Report data for ``templates/report/notebook.typ``.

    Every page shows ``metadata.kap_notes.chart_code`` (else the notebook's patient id).
    """
    provenance = notebook.get("metadata", {}).get("kap_notes", {})
    chart_code = str(provenance.get("chart_code") or provenance.get("patient_id") or "unknown")
    blocks: list[Block] = []
    for cell in notebook.get("cells", ()):
        blocks += _cell_blocks(cell, exclude_input=exclude_input)
    return {"title": title, "chart_code": chart_code, "blocks": blocks}
