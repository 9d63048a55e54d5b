"""Reading compiled notebooks back: sections by cell metadata, HTML tables, PNG outputs."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from typing import Any

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def load(notebook_json: str) -> dict[str, Any]:
    return dict(json.loads(notebook_json))


def section(nb: dict[str, Any], name: str) -> dict[str, Any]:
    """The code cell of a section (by its ``kap_notes.section`` metadata)."""
    cells = [
        c for c in nb["cells"] if c.get("metadata", {}).get("kap_notes", {}).get("section") == name
    ]
    assert len(cells) == 1, name
    return dict(cells[0])


class _Table(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_table(nb: dict[str, Any], name: str) -> list[dict[str, str]]:
    """A section's HTML table as dicts keyed by the header row."""
    parser = _Table()
    parser.feed(section(nb, name)["outputs"][0]["data"]["text/html"])
    header, *rows = parser.rows
    return [dict(zip(header, row, strict=True)) for row in rows]


def pngs(cell: dict[str, Any]) -> list[bytes]:
    return [
        base64.b64decode(o["data"]["image/png"])
        for o in cell["outputs"]
        if "image/png" in o.get("data", {})
    ]


def markdown(nb: dict[str, Any]) -> str:
    return "\n".join(c["source"] for c in nb["cells"] if c["cell_type"] == "markdown")
