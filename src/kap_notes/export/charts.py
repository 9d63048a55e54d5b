"""Outcome charts for a record, drawn with matplotlib straight into PNG bytes (never a file)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from kap_notes.forms import get_template

__all__ = ["CHARTED_INSTRUMENTS", "outcome_chart_png"]

#: Instruments charted over time (those with severity bands), in panel order.
CHARTED_INSTRUMENTS = ("phq9", "gad7", "pcl5", "qids_sr16", "madrs")
_BAND_SHADES = ("#f2f7f2", "#fbf8ec", "#fcf1e6", "#fbe9e7", "#f6e1e1", "#f0d9d9")


def _series(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple[dt.date, float]]]:
    found: dict[str, list[tuple[dt.date, float]]] = {}
    for row in rows:
        if row.get("instrument") not in CHARTED_INSTRUMENTS or not row.get("date"):
            continue
        day = dt.date.fromisoformat(str(row["date"])[:10])
        found.setdefault(str(row["instrument"]), []).append((day, float(row["total"])))
    return {name: sorted(found[name]) for name in CHARTED_INSTRUMENTS if name in found}


def outcome_chart_png(rows: Iterable[Mapping[str, Any]], *, dpi: int = 150) -> bytes | None:
    """One panel per charted instrument (totals over time, bands shaded); None if none scored."""
    series = _series(rows)
    if not series:
        return None
    figure = Figure(figsize=(7.0, 1.9 * len(series) + 0.4), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(series), 1, squeeze=False, sharex=True)[:, 0]
    for ax, (name, points) in zip(axes, series.items(), strict=True):
        instrument = get_template(name)
        spec = instrument.score
        for index, band in enumerate(spec.bands if spec else ()):
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
        days, totals = zip(*points, strict=True)
        ax.plot(days, totals, marker="o", markersize=3, linewidth=1.4, color="#1f4e79")
        if spec is not None and spec.total_min is not None and spec.total_max is not None:
            ax.set_ylim(spec.total_min - 0.5, spec.total_max + 0.5)
        ax.set_ylabel(f"{instrument.title}\ntotal", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", color="#dddddd", linewidth=0.5)
    axes[-1].tick_params(axis="x", labelrotation=30)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
