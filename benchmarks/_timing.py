"""Tiny timing helpers shared by the benchmark scripts: medians and a result table."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


def elapsed_ms(action: Callable[[], object]) -> float:
    """Milliseconds one call of ``action`` takes."""
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def median_ms(action: Callable[[], object], repeats: int) -> float:
    """Median milliseconds over ``repeats`` calls."""
    return statistics.median(elapsed_ms(action) for _ in range(repeats))


@dataclass(frozen=True)
class Row:
    """One benchmark line: what was measured, the figure, the target and whether it was met."""

    name: str
    value: str
    target: str
    met: bool | None  # None: informational, no target

    @property
    def verdict(self) -> str:
        return "-" if self.met is None else ("PASS" if self.met else "MISS")


def table(rows: Sequence[Row]) -> str:
    """A plain-text table of ``rows``."""
    header = Row("measurement", "median", "target", None)
    widths = [max(len(getattr(r, f)) for r in (header, *rows)) for f in ("name", "value", "target")]
    lines = []
    for i, row in enumerate((header, *rows)):
        verdict = "result" if i == 0 else row.verdict
        cells = [row.name.ljust(widths[0]), row.value.rjust(widths[1]), row.target.ljust(widths[2])]
        lines.append("  ".join([*cells, verdict]))
        if i == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)
