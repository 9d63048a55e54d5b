"""HTML outputs (pandas tables, styled summaries) → report blocks: tables stay tables, the rest
becomes plain text. Scripts and styles are dropped."""

from __future__ import annotations

from html.parser import HTMLParser

from kap_notes.export.sections import Block

__all__ = ["html_blocks"]

_SKIPPED = {"script", "style"}
_BREAKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "tr"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.text: list[str] = []
        self.rows: list[list[str]] | None = None
        self.header_rows = 0
        self.cell: list[str] | None = None
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "table":
            self._flush_text()
            self.rows, self.header_rows = [], 0
        elif tag == "tr" and self.rows is not None:
            self.rows.append([])
        elif tag in ("td", "th") and self.rows is not None:
            self.cell = []
        elif tag in _BREAKS and self.rows is None:
            self.text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in ("td", "th") and self.rows is not None and self.cell is not None:
            if self.rows:
                self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "thead" and self.rows is not None:
            self.header_rows = len(self.rows)
        elif tag == "table" and self.rows is not None:
            self._flush_table(self.rows, max(self.header_rows, 1))
            self.rows = None

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.cell is not None:
            self.cell.append(data)
        elif self.rows is None:
            self.text.append(data)

    def _flush_text(self) -> None:
        text = "\n".join(line.strip() for line in "".join(self.text).splitlines() if line.strip())
        if text:
            self.blocks.append({"kind": "text", "text": text})
        self.text = []

    def _flush_table(self, rows: list[list[str]], header_rows: int) -> None:
        rows = [r for r in rows if r]
        if not rows:
            return
        width = max(len(r) for r in rows)
        padded = [r + [""] * (width - len(r)) for r in rows]
        header = [" ".join(filter(None, col)) for col in zip(*padded[:header_rows], strict=True)]
        self.blocks.append(
            {"kind": "table", "caption": "", "header": header, "rows": padded[header_rows:]}
        )

    def finish(self) -> list[Block]:
        self.close()
        self._flush_text()
        return self.blocks


def html_blocks(source: str) -> list[Block]:
    """Report blocks for an HTML snippet."""
    collector = _Collector()
    collector.feed(source)
    return collector.finish()
