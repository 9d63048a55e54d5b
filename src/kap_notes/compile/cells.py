"""Building blocks for deterministic notebooks: cells with explicit ids, pre-rendered outputs,
escaped text and HTML tables.

Patient text is never trusted as markup: markdown gets every special character escaped and
tables are rendered by pandas with HTML escaping on.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

Output = dict[str, Any]
Cell = dict[str, Any]
Notebook = dict[str, Any]
#: Inline markdown/HTML/maths syntax; block syntax never applies (text never starts a line).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~!$])")


def md(text: Any) -> str:
    """``text`` safe to put inside markdown: no markup, links or HTML take effect."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


class NotebookBuilder:
    """Accumulates cells; ids are ``<position>-<slug>`` so they only depend on the layout."""

    def __init__(self) -> None:
        self.cells: list[Cell] = []

    def _id(self, slug: str) -> str:
        cleaned = re.sub(r"[^a-zA-Z0-9_-]+", "-", slug).strip("-")[:48] or "cell"
        return f"{len(self.cells):03d}-{cleaned}"

    def markdown(self, slug: str, source: str) -> None:
        self.cells.append(
            {"cell_type": "markdown", "id": self._id(slug), "metadata": {}, "source": source}
        )

    def code(self, slug: str, source: str, outputs: Sequence[Output] = ()) -> None:
        self.cells.append(
            {
                "cell_type": "code",
                "id": self._id(slug),
                "metadata": {"kap_notes": {"section": slug}},
                "source": source,
                "execution_count": None,
                "outputs": list(outputs),
            }
        )

    def notebook(self, metadata: dict[str, Any]) -> Notebook:
        """An nbformat 4.5 notebook (plain dicts) with provenance in ``metadata.kap_notes``."""
        return {
            "cells": self.cells,
            "metadata": {
                "kernelspec": {
                    "display_name": "KAP notes (Python, no history)",
                    "language": "python",
                    "name": "kap-notes",
                },
                "language_info": {"name": "python"},
                "kap_notes": metadata,
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }


def display_output(data: dict[str, str], metadata: dict[str, Any] | None = None) -> Output:
    """A ``display_data`` output (each mime type a string)."""
    return {"output_type": "display_data", "data": data, "metadata": metadata or {}}


def png_output(
    png: bytes, caption: str, *, width: int | None = None, key: str | None = None
) -> Output:
    """An image/png output with a plain-text alternative (and the chart's key, under which a
    later compile finds it again: :func:`drawn_charts`)."""
    meta: dict[str, Any] = {"image/png": {"width": width}} if width else {}
    if key is not None:
        meta["kap_notes"] = {"chart": key}
    encoded = base64.b64encode(png).decode("ascii")
    return display_output({"image/png": encoded, "text/plain": caption}, meta)


def table_output(frame: pd.DataFrame, empty: str = "None recorded.") -> Output:
    """A DataFrame as escaped text/html with a text/plain twin."""
    if frame.empty:
        return display_output({"text/plain": empty, "text/html": f"<p>{html.escape(empty)}</p>"})
    rendered = frame.to_html(index=False, escape=True, na_rep="", border=0, classes="kap-table")
    return display_output({"text/html": rendered, "text/plain": frame.to_string(index=False)})


def text_table_output(
    header: Sequence[str], rows: Sequence[Sequence[str]], empty: str = "None recorded."
) -> Output:
    """Text cells as escaped text/html with an aligned text/plain twin, written directly
    (what :func:`table_output` gives for text, without pandas' formatters: a tenth the time)."""
    if not rows:
        return display_output({"text/plain": empty, "text/html": f"<p>{html.escape(empty)}</p>"})
    head = "".join(f"<th>{html.escape(h, quote=False)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c, quote=False)}</td>" for c in row) + "</tr>\n"
        for row in rows
    )
    rendered = (
        '<table border="0" class="dataframe kap-table">\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>"
    )
    lines = [[" ".join(c.split()) for c in line] for line in (header, *rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    plain = "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )
    return display_output({"text/html": rendered, "text/plain": plain})


def drawn_charts(notebook_json: str) -> dict[str, bytes]:
    """Chart key → PNG bytes of every keyed chart in a compiled notebook (to reuse)."""
    found = {}
    for cell in json.loads(notebook_json).get("cells", []):
        for output in cell.get("outputs", []):
            key = output.get("metadata", {}).get("kap_notes", {}).get("chart")
            png = output.get("data", {}).get("image/png")
            if isinstance(key, str) and isinstance(png, str):
                found[key] = base64.b64decode(png)
    return found


def text_output(text: str) -> Output:
    return display_output({"text/plain": text})


def validated_json(nb: Notebook) -> str:
    """Serialise ``nb`` as nbformat does (sorted keys, one-space indent), so the same notebook
    always gives the same bytes. The builders' output is validated against the nbformat v4
    schema in tests/compile, not here: nbformat's validator imports jsonschema (~1 s a process)."""
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
