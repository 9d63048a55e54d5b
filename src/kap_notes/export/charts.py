"""Outcome charts for a record, drawn with matplotlib straight into PNG bytes (never a file).

Only drawing happens here: which instruments, their totals from the signed record, the baseline
and each instrument's published rule come from :mod:`kap_notes.records.outcomes`, exactly as
the progress notebook charts them.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from kap_notes.records.outcomes import CHARTED_INSTRUMENTS, Series

__all__ = ["CHARTED_INSTRUMENTS", "outcome_chart_png", "outcome_figure"]

_BAND_SHADES = ("#f2f7f2", "#fbf8ec", "#fcf1e6", "#fbe9e7", "#f6e1e1", "#f0d9d9")
_GUIDE_STYLE = {
    "baseline": {"linestyle": "--", "color": "#7f7f7f"},
    "response": {"linestyle": ":", "color": "#2e7d32"},
    "remission": {"linestyle": "-", "color": "#66bb6a"},
    "reliable": {"linestyle": ":", "color": "#6a1b9a"},
    "meaningful": {"linestyle": "-.", "color": "#2e7d32"},
}


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(value[:10])


def outcome_figure(series: Sequence[Series], *, dpi: int = 150) -> Figure | None:
    """One panel per series (totals over time, bands shaded, the series' guides with their
    labels in the legend); None if nothing was scored."""
    series = [s for s in series if s.points]
    if not series:
        return None
    figure = Figure(figsize=(7.0, 1.9 * len(series) + 0.4), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(series), 1, squeeze=False, sharex=True)[:, 0]
    for ax, one in zip(axes, series, strict=True):
        for index, band in enumerate(one.bands):
            ax.axhspan(band.min - 0.5, band.max + 0.5, color=_BAND_SHADES[index % 6], lw=0)
            ax.text(
                1.01,
                (band.min + band.max) / 2,
                band.label,
                transform=ax.get_yaxis_transform(),
                fontsize=6,
                va="center",
                color="#555555",
            )
        days = [_day(p.date) for p in one.points]
        ax.plot(
            days,
            [p.total for p in one.points],
            marker="o",
            markersize=3,
            linewidth=1.4,
            color="#1f4e79",
            label=f"{one.label} total",
        )
        for guide in one.guides():
            ax.axhline(guide.value, linewidth=0.9, label=guide.label, **_GUIDE_STYLE[guide.kind])
        if one.total_min is not None and one.total_max is not None:
            ax.set_ylim(one.total_min - 0.5, one.total_max + 0.5)
        ax.set_ylabel(f"{one.label}\ntotal", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", color="#dddddd", linewidth=0.5)
        ax.legend(loc="upper left", fontsize=5.5, framealpha=0.8)
    axes[-1].tick_params(axis="x", labelrotation=30)
    return figure


def outcome_chart_png(series: Sequence[Series], *, dpi: int = 150) -> bytes | None:
    """The outcome chart of :func:`outcome_figure` as PNG bytes; None if nothing was scored."""
    figure = outcome_figure(series, dpi=dpi)
    if figure is None:
        return None
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
