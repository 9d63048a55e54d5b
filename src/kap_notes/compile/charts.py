"""Charts as PNG bytes that are identical from run to run.

Figures are built with the object API on an Agg canvas (no pyplot state, nothing to close),
under matplotlib's default style whatever the user's matplotlibrc says, at a fixed dpi and with
no ``Software`` metadata, so the same rows always give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib.style
import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from kap_notes.compile.data import PatientData, Row
from kap_notes.records.outcomes import Series

DPI = 80


@contextmanager
def fixed_style() -> Iterator[None]:
    """matplotlib defaults plus fixed hash salt, whatever the local configuration says."""
    with (
        matplotlib.style.context("default"),
        rc_context({"svg.hashsalt": "kap-notes", "path.simplify": True}),
    ):
        yield


def png_bytes(figure: Figure) -> bytes:
    """Render ``figure`` with Agg to PNG without timestamps or version metadata."""
    buffer = io.BytesIO()
    canvas: Any = FigureCanvasAgg(figure)  # backend_agg carries no annotations
    canvas.print_png(buffer, metadata={"Software": None})
    return buffer.getvalue()


def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(value)[:10])


def outcome_chart(data: PatientData) -> bytes | None:
    """The charted instruments' totals over time with baseline and each published rule marked
    (:mod:`kap_notes.records.outcomes`: the PDF charts the same series)."""
    with fixed_style():
        figure = outcome_figure(data.outcomes)
        return None if figure is None else png_bytes(figure)


#: How each kind of guide line is drawn (records.outcomes.Guide.kind).
_GUIDE_STYLE = {
    "baseline": {"linestyle": "--", "color": "#7f7f7f"},
    "response": {"linestyle": ":", "color": "#2e7d32"},
    "reliable": {"linestyle": ":", "color": "#6a1b9a"},
    "meaningful": {"linestyle": "-.", "color": "#2e7d32"},
}
_MET = {
    "response": "Meets response",
    "reliable": "Reliable change",
    "meaningful": "Meaningful change",
}


def outcome_figure(series: Sequence[Series]) -> Figure | None:
    """One panel per series: totals, the series' guides (legend = their labels), points that
    meet a rule, and remission shaded; None when nothing was scored."""
    if not series:
        return None
    height = 2.4 * len(series)
    figure = Figure(figsize=(8, height), dpi=DPI)
    # Fixed margins instead of a constrained layout: same picture, a third of the render time.
    figure.subplots_adjust(
        left=0.08,
        right=0.98,
        top=1 - 0.15 / height,
        bottom=0.75 / height,
        hspace=0.12 * len(series),
    )
    axes = figure.subplots(len(series), 1, sharex=True, squeeze=False)[:, 0]
    for ax, one in zip(axes, series, strict=True):
        dates, totals = [_date(p.date) for p in one.points], [p.total for p in one.points]
        ax.plot(dates, totals, marker="o", color="#1f4e79", label=f"{one.label} total")
        for guide in one.guides():
            if guide.kind == "remission":
                ax.axhspan(0, guide.value, color="#c8e6c9", alpha=0.5, label=guide.label)
            else:
                ax.axhline(guide.value, label=guide.label, **_GUIDE_STYLE[guide.kind])
        for kind, label in _MET.items():
            met = one.meeting(kind)
            if met:
                color = _GUIDE_STYLE[kind]["color"]
                days = [_date(p.date) for p in met]
                ax.plot(days, [p.total for p in met], "D", color=color, label=label)
        ax.set_ylabel(one.label)
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper right", fontsize="small")
        ax.grid(alpha=0.3)
    axes[-1].tick_params(axis="x", labelrotation=30)
    return figure


def vitals_charts(data: PatientData) -> list[tuple[Row, bytes]]:
    """One chart per dosing session with vitals: BP and heart rate against minutes from start.

    Every session shares the same axes (easy to compare), so the axes, ticks and legend are
    drawn once and only each session's lines and title are drawn over a copy of them.
    """
    with fixed_style():
        return _vitals_charts(data)


def _vitals_charts(data: PatientData) -> list[tuple[Row, bytes]]:
    sessions = []
    for dosing in data.dosing:
        rows = [r for r in data.vitals if r["note_id"] == dosing["note_id"]]
        rows = [r for r in rows if r["minutes"] is not None]
        if rows:
            sessions.append((dosing, rows))
    if not sessions:
        return []
    figure = Figure(figsize=(6, 2.6), dpi=DPI)
    figure.subplots_adjust(left=0.1, right=0.98, bottom=0.18, top=0.88)
    canvas: Any = FigureCanvasAgg(figure)  # backend_agg carries no annotations
    ax = figure.add_subplot()
    lines = {
        key: ax.plot([], [], marker="o", label=label, color=color, animated=True)[0]
        for key, label, color in _VITAL_LINES
    }
    alert = data.settings.systolic_alert_mmhg
    ax.axhline(alert, linestyle="--", color="#616161", label=f"Clinic setting: systolic {alert}")
    all_rows = [r for _, rows in sessions for r in rows]
    ax.set_xlim(*_span([r["minutes"] for r in all_rows], pad=5))
    ax.set_ylim(*_span([r[k] for r in all_rows for k in lines] + [alert], pad=10))
    ax.set_xlabel("minutes from dosing start")
    ax.set_ylabel("mmHg · beats/min")
    ax.legend(loc="upper right", fontsize="x-small", ncols=2)
    ax.grid(alpha=0.3)
    title = ax.set_title("", fontsize=10)
    title.set_animated(True)
    canvas.draw()
    background = canvas.copy_from_bbox(figure.bbox)
    charts = []
    for dosing, rows in sessions:
        canvas.restore_region(background)
        minutes = [r["minutes"] for r in rows]
        for key, line in lines.items():
            line.set_data(minutes, [r[key] for r in rows])
            ax.draw_artist(line)
        title.set_text(f"{dosing['date']} · {dosing['route']} · {dosing['dose_mg']:g} mg")
        ax.draw_artist(title)
        charts.append((dosing, _encode(canvas)))
    return charts


_VITAL_LINES = (
    ("systolic", "Systolic", "#b71c1c"),
    ("diastolic", "Diastolic", "#ef6c00"),
    ("heart_rate", "Heart rate", "#1565c0"),
)


def _span(values: Sequence[float | None], pad: float) -> tuple[float, float]:
    known = [v for v in values if v is not None]
    return (min(known) - pad, max(known) + pad) if known else (0.0, 1.0)


def _encode(canvas: Any) -> bytes:
    """The canvas as it stands (no redraw) as PNG, without metadata."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buffer, format="png")
    return buffer.getvalue()
