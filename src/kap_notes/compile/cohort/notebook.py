"""The clinic outcomes notebook: built from the de-identified cohort only, outputs rendered,
no study id shown, so the same cohort always gives the same bytes (study ids are random)."""

from __future__ import annotations

import hashlib
import math
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from kap_notes.compile.cells import Notebook, NotebookBuilder, Output, png_output, table_output
from kap_notes.compile.charts import fixed_style, png_bytes
from kap_notes.compile.cohort import analyses
from kap_notes.compile.cohort.frames import Cohort
from kap_notes.compile.cohort.readme import summary_lines
from kap_notes.records.outcomes import rule_of

LAYOUT_VERSION = "1"
NOTICE = (
    "Clinic quality data, not clinical advice: a de-identified cohort of signed notes (values "
    "as frozen at signing). Small groups are suppressed (k is a clinic setting)."
)


def _table(frame: pd.DataFrame, empty: str = "Not enough data.") -> list[Output]:
    return [table_output(frame, empty)]


def _chart(figure: Figure | None, caption: str) -> list[Output]:
    return [] if figure is None else [png_output(png_bytes(figure), caption)]


def trajectories(frames: dict[str, pd.DataFrame], instrument: str = "phq9") -> Figure | None:
    """Each patient's totals faint, the weekly mean bold (x: days since first session)."""
    scores = frames["scores"][frames["scores"]["instrument"] == instrument]
    if scores.empty:
        return None
    lines = sorted(
        tuple(zip(g["day"].tolist(), g["total"].tolist(), strict=True))
        for _, g in scores.sort_values(["day", "total"]).groupby("study_id")
    )
    figure = Figure(figsize=(7, 3.5), dpi=80)
    axes = figure.subplots()
    xs: list[float] = []
    ys: list[float] = []
    for line in lines:  # one faint path, patients separated by gaps (fast for thousands)
        xs += [*(p[0] for p in line), math.nan]
        ys += [*(p[1] for p in line), math.nan]
    axes.plot(xs, ys, color="tab:blue", alpha=0.2, lw=1)
    weekly = scores.assign(week=scores["day"] // 7).groupby("week")["total"].mean()
    axes.plot(weekly.index * 7, weekly.to_numpy(), color="black", lw=2.5, label="weekly mean")
    axes.set_xlabel("days since first session")
    axes.set_ylabel(f"{rule_of(instrument).label} total")
    axes.legend(loc="upper right")
    return figure


def km_chart(table: pd.DataFrame, label: str) -> Figure | None:
    if table.empty:
        return None
    figure = Figure(figsize=(7, 3), dpi=80)
    axes = figure.subplots()
    axes.step([0, *table["day"]], [0, *table["responded_by_now_pct"]], where="post")
    axes.set_xlabel("days since baseline")
    axes.set_ylabel(f"% responded ({label})")
    axes.set_ylim(0, 100)
    return figure


def mg_chart(frames: dict[str, pd.DataFrame]) -> Figure | None:
    dosing = frames["sessions"].dropna(subset=["mg_per_kg"])
    if dosing.empty:
        return None
    groups = sorted((str(r), g["mg_per_kg"].to_numpy()) for r, g in dosing.groupby("route"))
    figure = Figure(figsize=(7, 3), dpi=80)
    axes = figure.subplots()
    axes.boxplot(
        [g for _, g in groups], tick_labels=[r[:24] for r, _ in groups], orientation="horizontal"
    )
    axes.set_xlabel("mg/kg (frozen at signing)")
    figure.tight_layout()
    return figure


def build_outcomes(cohort: Cohort) -> Notebook:
    """The outcomes notebook of ``cohort`` (deterministic for the same cohort content)."""
    frames = cohort.frames
    book = NotebookBuilder()
    summary = "\n".join(f"- {line}" for line in summary_lines(cohort, with_ids=False))
    book.markdown("header", f"# Clinic outcomes\n\n*{NOTICE}*\n\n{summary}")
    live = "from kap_notes import api\n\ncohort = api.cohort()\n"
    with fixed_style():
        for instrument in analyses.RESPONSE_INSTRUMENTS:
            if frames["scores"]["instrument"].eq(instrument).any():
                _instrument(book, frames, instrument, live)
        book.markdown("ae-title", "## Adverse events per 100 dosing sessions, by type and route")
        book.code("ae", f"{live}cohort['adverse_events']", _table(
            analyses.adverse_event_rates(frames), "No adverse events recorded."))  # fmt: skip
        book.markdown("mg-title", "## mg/kg by route")
        outputs = _table(analyses.mg_per_kg(frames)) + _chart(mg_chart(frames), "mg/kg by route")
        book.code("mg", f"{live}cohort['sessions']", outputs)
        book.markdown("traj-title", "## PHQ-9 trajectories (each patient faint, the mean bold)")
        chart = _chart(trajectories(frames), "PHQ-9 totals by day since first session")
        book.code("traj", f"{live}cohort['scores']", chart or _table(pd.DataFrame()))
        book.markdown(
            "phase-title",
            "## Courses by phase\nPatients by their current phase; signed sessions by the phase "
            "they were in.",
        )
        book.code("phase", f"{live}cohort['patients']", _table(analyses.phases(frames)))
    basis = pd.util.hash_pandas_object(
        pd.concat([f.drop(columns="study_id").astype(str) for f in frames.values()]), index=False
    ).sort_values()
    metadata: dict[str, Any] = {
        "kind": "outcomes",
        "layout_version": LAYOUT_VERSION,
        "k": cohort.k,
        "fingerprint": hashlib.sha256(basis.to_numpy().tobytes()).hexdigest(),
    }
    return book.notebook(metadata)


def _instrument(
    book: NotebookBuilder, frames: dict[str, pd.DataFrame], instrument: str, live: str
) -> None:
    rule = rule_of(instrument)
    words = f"≥ {rule.response_drop_percent:g} % below baseline"
    if rule.remission_below is not None:
        words += f"; remission: total below {rule.remission_below:g}"
    book.markdown(
        f"{instrument}-title",
        f"## {rule.label}: response and remission by route and phase\nResponse: {words} "
        "(the instrument's published rule), at any score after baseline. Wilson 95 % "
        "intervals; patients with a baseline and at least one later score.",
    )
    book.code(f"{instrument}-rates", f"{live}cohort['scores']",
              _table(analyses.rates(frames, instrument)))  # fmt: skip
    km = analyses.time_to_response(frames, instrument)
    book.markdown(
        f"{instrument}-km-title",
        f"### {rule.label}: time to first response (Kaplan–Meier)\nPatients who never "
        "responded are censored at their last score.",
    )
    outputs = _table(km) + _chart(km_chart(km, rule.label), "Kaplan-Meier time to response")
    book.code(f"{instrument}-km", f"{live}cohort['scores']", outputs)
