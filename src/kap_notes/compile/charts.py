"""Charts as PNG bytes that are identical from run to run.

Figures are built with the object API on an Agg canvas (no pyplot state, nothing to close),
under matplotlib's default style whatever the user's matplotlibrc says, at a fixed dpi, and
written by Pillow as palette PNGs without metadata, so the same rows always give the same bytes.
Each chart has a key (SHA-256 over what it shows): a chart drawn before is reused, not redrawn.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

import matplotlib.style
import numpy as np
from matplotlib import dates as mdates
from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageDraw, ImageFont

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
    """Render ``figure`` with Agg to a 64-colour PNG without timestamps or version metadata."""
    canvas: Any = FigureCanvasAgg(figure)  # backend_agg carries no annotations
    canvas.draw()
    return _encode(Image.fromarray(np.asarray(canvas.buffer_rgba())))


def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(value)[:10])


#: Bump when the outcome chart's drawing changes.
OUTCOME_CHART_VERSION = "3"


def outcome_key(data: PatientData) -> str:
    """SHA-256 over everything the outcome chart shows (the series, their rules and points)."""
    basis = [OUTCOME_CHART_VERSION, DPI, repr(data.outcomes)]
    return hashlib.sha256(json.dumps(basis).encode()).hexdigest()


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
    # At most seven date ticks (shared by the panels): a third of the ticks a long course
    # would get, and of the time they take to lay out.
    ticks: Any = mdates  # matplotlib.dates carries no annotations
    locator = ticks.AutoDateLocator(minticks=3, maxticks=7)
    axes[-1].xaxis.set_major_locator(locator)
    axes[-1].xaxis.set_major_formatter(ticks.AutoDateFormatter(locator))
    axes[-1].tick_params(axis="x", labelrotation=30)
    return figure


class SessionChart(NamedTuple):
    """One dosing session's vitals chart: its dosing row, PNG bytes and chart key."""

    row: Row
    png: bytes
    key: str


#: Chart axes (layout, not clinical thresholds): minutes from dosing start, and mmHg or
#: beats/min. Fixed so a session's chart never changes when later sessions are added; a
#: session with a reading outside them gets axes of its own that take the reading in.
VITALS_MINUTES = (-15.0, 180.0)
VITALS_VALUES = (40.0, 200.0)
#: Bump when the vitals chart's drawing changes: keys of charts drawn before no longer match.
VITALS_CHART_VERSION = "3"


def vitals_charts(
    data: PatientData, reuse: Mapping[str, bytes] | None = None
) -> list[SessionChart]:
    """One chart per dosing session with vitals: BP and heart rate against minutes from start.

    Sessions share fixed axes (easy to compare), so axes, ticks and legend are drawn once per
    set of axes and process (:func:`_template`) and only each session's lines go over a copy;
    the title is drawn by Pillow.
    A chart whose key is in ``reuse`` (charts drawn before, e.g. in the stored notebook) is
    taken from there, since the key covers everything the picture shows.
    """
    reuse = reuse or {}
    alert = float(data.settings.systolic_alert_mmhg)
    planned: list[tuple[Row, list[Row], tuple[float, ...], str]] = []
    for dosing in data.dosing:
        rows = [r for r in data.vitals if r["note_id"] == dosing["note_id"]]
        rows = [r for r in rows if r["minutes"] is not None]
        if rows:
            limits = _limits(rows, alert)
            planned.append((dosing, rows, limits, _session_key(dosing, rows, limits, alert)))
    missing: dict[tuple[float, ...], list[tuple[Row, list[Row], str]]] = {}
    for dosing, rows, limits, key in planned:
        if key not in reuse:
            missing.setdefault(limits, []).append((dosing, rows, key))
    drawn: dict[str, bytes] = {}
    if missing:
        with fixed_style():
            for limits, sessions in missing.items():
                drawn.update(_draw_sessions(limits, alert, sessions))
    return [SessionChart(d, reuse.get(k) or drawn[k], k) for d, _, _, k in planned]


def _limits(rows: Sequence[Row], alert: float) -> tuple[float, ...]:
    minutes = [float(r["minutes"]) for r in rows]
    values = [float(r[k]) for r in rows for k, _, _ in _VITAL_LINES if r[k] is not None]
    low_x, high_x = VITALS_MINUTES
    low_y, high_y = VITALS_VALUES
    return (
        min(low_x, min(minutes) - 5),
        max(high_x, max(minutes) + 5),
        min(low_y, *(v - 10 for v in [*values, alert])),
        max(high_y, *(v + 10 for v in [*values, alert])),
    )


def _title(dosing: Row) -> str:
    return f"{dosing['date']} · {dosing['route']} · {dosing['dose_mg']:g} mg"


def _session_key(dosing: Row, rows: Sequence[Row], limits: Sequence[float], alert: float) -> str:
    """SHA-256 over everything one session's chart shows."""
    points = [[r["minutes"], *(r[k] for k, _, _ in _VITAL_LINES)] for r in rows]
    basis = [VITALS_CHART_VERSION, DPI, list(limits), alert, _title(dosing), points]
    return hashlib.sha256(json.dumps(basis, default=str).encode()).hexdigest()


class _Template(NamedTuple):
    """A vitals figure with everything but the session's lines and title already drawn."""

    canvas: Any
    ax: Any
    lines: dict[str, Any]
    background: Any
    title_at: tuple[float, float]


@functools.lru_cache(maxsize=8)
def _template(limits: tuple[float, ...], alert: float) -> _Template:
    """The axes, ticks, legend and alert line for one set of axes, drawn once per process
    (kept for the next compile: a new session or a recompile reuses it)."""
    with fixed_style():
        figure = Figure(figsize=(6, 2.6), dpi=DPI)
        figure.subplots_adjust(left=0.1, right=0.98, bottom=0.18, top=0.88)
        canvas: Any = FigureCanvasAgg(figure)  # backend_agg carries no annotations
        ax = figure.add_subplot()
        lines = {
            key: ax.plot([], [], marker="o", label=label, color=color, animated=True)[0]
            for key, label, color in _VITAL_LINES
        }
        ax.axhline(
            alert, linestyle="--", color="#616161", label=f"Clinic setting: systolic {alert:g}"
        )
        ax.set_xlim(limits[0], limits[1])
        ax.set_ylim(limits[2], limits[3])
        ax.set_xlabel("minutes from dosing start")
        ax.set_ylabel("mmHg · beats/min")
        ax.legend(loc="upper right", fontsize="x-small", ncols=2)
        ax.grid(alpha=0.3)
        canvas.draw()
    box = ax.get_window_extent()
    # Where matplotlib puts an axes title: centred, 6 points above the axes.
    title_at = ((box.x0 + box.x1) / 2, figure.bbox.height - box.y1 - 6 * DPI / 72)
    return _Template(canvas, ax, lines, canvas.copy_from_bbox(figure.bbox), title_at)


#: Templates are shared by every compile of the process; one session is drawn at a time.
_DRAWING = threading.Lock()


def _draw_sessions(
    limits: tuple[float, ...], alert: float, sessions: Sequence[tuple[Row, list[Row], str]]
) -> dict[str, bytes]:
    drawn = {}
    with _DRAWING:
        canvas, ax, lines, background, title_at = _template(limits, alert)
        for dosing, rows, key in sessions:
            canvas.restore_region(background)
            minutes = [r["minutes"] for r in rows]
            for name, line in lines.items():
                line.set_data(minutes, [r[name] for r in rows])
                ax.draw_artist(line)
            image = Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")
            ImageDraw.Draw(image).text(
                title_at, _title(dosing), fill="black", font=_font(), anchor="md"
            )
            drawn[key] = _encode(image, _vitals_palette())
    return drawn


_VITAL_LINES = (
    ("systolic", "Systolic", "#b71c1c"),
    ("diastolic", "Diastolic", "#ef6c00"),
    ("heart_rate", "Heart rate", "#1565c0"),
)


@functools.cache
def _font() -> ImageFont.FreeTypeFont:
    """matplotlib's default font at the size of an axes title (10 pt)."""
    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
    return ImageFont.truetype(path, size=round(10 * DPI / 72))


@functools.cache
def _vitals_palette() -> Image.Image:
    """A fixed 16-colour palette for the vitals charts: white, black and five greys (text,
    grid, legend frame, alert line) and each line colour with two blends towards white
    (anti-aliased edges), so every session maps the same way and pixels take 4 bits."""
    colours: list[tuple[int, ...]] = [(g,) * 3 for g in (255, 0, 50, 97, 150, 204, 235)]
    for hex_colour in ("#b71c1c", "#ef6c00", "#1565c0"):
        rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        colours += [tuple(round(c + (255 - c) * t) for c in rgb) for t in (0, 0.4, 0.7)]
    palette = Image.new("P", (1, 1))
    palette.putpalette([c for colour in colours for c in colour])
    return palette


def _encode(image: Image.Image, palette: Image.Image | None = None) -> bytes:
    """``image`` as a palette PNG (64 colours or ``palette``): no metadata, a quarter of the
    bytes of RGBA and faster to write."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    if palette is None:
        indexed = rgb.quantize(64, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    else:
        indexed = rgb.quantize(palette=palette, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    indexed.save(buffer, format="png")  # a palette of 16 colours or fewer: 4 bits a pixel
    return buffer.getvalue()
