"""The pre-rendered outputs of each progress-notebook section, by section name.

The same renderers serve the compiled notebook and ``api.show`` in a live kernel, so a re-run
cell shows exactly what the compiled output showed, with current data.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

from kap_notes.compile import charts
from kap_notes.compile.cells import (
    Output,
    display_output,
    png_output,
    text_output,
    text_table_output,
)
from kap_notes.compile.data import INSTRUMENTS, PatientData, Row
from kap_notes.compile.values import display
from kap_notes.records.derived import BASELINE_RULE
from kap_notes.records.display import display_plain
from kap_notes.records.outcomes import Series

Renderer = Callable[[PatientData], list[Output]]

_VITALS_COLUMNS = {
    "date": "Date",
    "timepoint": "Time point",
    "measured_at": "Measured at",
    "systolic": "Systolic (mmHg)",
    "diastolic": "Diastolic (mmHg)",
    "heart_rate": "Heart rate (/min)",
    "spo2": "SpO2 (%)",
    "resp_rate": "Respiratory rate (/min)",
    "source": "Source",
}
_DOSING_COLUMNS = {
    "date": "Date",
    "session_number": "Session",
    "route": "Route",
    "dose_mg": "Dose (mg)",
    "dose_mg_per_kg": "Dose (mg/kg)",
    "peak_bp": "Peak BP (mmHg)",
    "moaas": "MOAA/S",
    "cadss": "CADSS",
    "adverse_events": "Adverse events",
    "status": "Status",
}
_EVENT_COLUMNS = {
    "date": "Date",
    "event": "Event",
    "severity": "Severity",
    "onset": "Onset",
    "intervention": "Intervention",
    "rescue_medicine": "Rescue medicine",
    "resolved": "Resolved",
    "serious": "Serious",
}
_FLAG_COLUMNS = {
    "date": "Date",
    "form": "Note",
    "message": "Flag (for review)",
    "review": "Review",
}


def shown(value: Any) -> str:
    """A cell value as every view shows it (:func:`kap_notes.records.display.display_plain`)."""
    return display_plain(value)


def table(rows: list[Row], columns: Mapping[str, str], empty: str = "None recorded.") -> Output:
    """Rows as a table output of text cells under human column names."""
    cells = [[shown(row.get(key)) for key in columns] for row in rows]
    return text_table_output(list(columns.values()), cells, empty)


def outcomes(data: PatientData) -> list[Output]:
    key = charts.outcome_key(data)
    png = data.drawn.get(key) or charts.outcome_chart(data)
    names = list(INSTRUMENTS.values())
    if png is None:
        return [text_output(f"No {', '.join(names[:-1])} or {names[-1]} scores recorded yet.")]
    lines = [f"Outcome chart: {', '.join(s.label for s in data.outcomes)} totals."]
    lines += [f"{s.label}: {_rule_text(s)}" for s in data.outcomes]
    return [png_output(png, "\n".join([*lines, BASELINE_RULE]), key=key)]


def _rule_text(series: Series) -> str:
    """The published rule drawn for one instrument, in words (or that none is drawn)."""
    drawn = [g.label for g in series.guides() if g.kind != "baseline"]
    rule = "; ".join(drawn) if drawn else "no response or change rule drawn"
    return f"{rule}{f' ({series.rule.source})' if series.rule.source else ''}"


def score_columns(data: PatientData) -> dict[str, str]:
    """The scores table's columns: each scored instrument's total and band, then what its
    published rule says (:mod:`records.outcomes`), then the C-SSRS risk level when screened."""
    columns = {"date": "Date", "form": "Note", "status": "Status"}
    rules = {s.instrument: s.rule for s in data.outcomes}
    for key, name in INSTRUMENTS.items():
        if key not in rules:
            continue
        rule = rules[key]
        columns |= {key: name, f"{key}_band": f"{name} band"}
        if key == "phq9":
            columns["phq9_item9"] = "PHQ-9 item 9"
        if rule.response_drop_percent or rule.remission_below is not None:
            columns[f"{key}_change_pct"] = f"{name} change from baseline (%)"
        if rule.response_drop_percent:
            drop = shown(rule.response_drop_percent)
            columns[f"{key}_response"] = f"{name} response (≥ {drop} % drop)"
        if rule.remission_below is not None:
            columns[f"{key}_remission"] = f"{name} remission (< {shown(rule.remission_below)})"
        if rule.reliable_change_points or rule.meaningful_change_points:
            columns[f"{key}_change"] = f"{name} change from baseline (points)"
        if rule.reliable_change_points:
            points = shown(rule.reliable_change_points)
            columns[f"{key}_reliable"] = f"{name} reliable change (≥ {points} points)"
        if rule.meaningful_change_points:
            points = shown(rule.meaningful_change_points)
            columns[f"{key}_meaningful"] = f"{name} meaningful change (≥ {points} points)"
    if any(r.get("cssrs_risk") for r in data.scores):
        columns["cssrs_risk"] = "C-SSRS risk level"
    return columns


def scores(data: PatientData) -> list[Output]:
    return [table(data.scores, score_columns(data))]


def dosing(data: PatientData) -> list[Output]:
    return [table(data.dosing, _DOSING_COLUMNS)]


def vitals(data: PatientData) -> list[Output]:
    """Every reading (BP, heart rate, SpO2, respiratory rate) as a table, then BP and heart
    rate charted per session."""
    if not data.vitals:
        return [text_output("No vitals recorded yet.")]
    readings = [
        {**r, "measured_at": display("dosing", "measured_at", r["measured_at"])}
        for r in data.vitals
    ]
    rendered = charts.vitals_charts(data, data.drawn)
    return [table(readings, _VITALS_COLUMNS)] + [
        png_output(
            png, f"Vitals {row['date']} ({row['route']}, {shown(row['dose_mg'])} mg)", key=key
        )
        for row, png, key in rendered
    ]


def adverse_events(data: PatientData) -> list[Output]:
    return [table(data.adverse_events, _EVENT_COLUMNS)]


def intentions(data: PatientData) -> list[Output]:
    """Each intention beside the integration insights that followed it."""
    if not data.intentions:
        return [text_output("No intentions recorded yet.")]
    body, plain = [], []
    for row in data.intentions:
        insights = "".join(
            f"<li>{html.escape(str(i['date']))}: {html.escape(i['text'])}</li>"
            for i in row["insights"]
        )
        intention = html.escape(f"{row['date']}: {row['intention']}")
        body.append(f"<tr><td>{intention}</td><td><ul>{insights}</ul></td></tr>")
        plain.append(f"{row['date']}: {row['intention']}")
        plain += [f"    {i['date']}: {i['text']}" for i in row["insights"]]
    rendered = (
        '<table class="kap-table"><thead><tr><th>Intention</th>'
        "<th>Integration insights that followed</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )
    return [display_output({"text/html": rendered, "text/plain": "\n".join(plain)})]


def flags(data: PatientData) -> list[Output]:
    """Open flags first; a flag is open until a supervisor co-signs its note."""
    ordered = data.open_flags + [f for f in data.flags if f["review"] != "open"]
    lines = [f"Clinic settings: {line}" for line in data.settings.describe()]
    note = text_output("\n".join(lines))
    return [table(ordered, _FLAG_COLUMNS, "No flags raised."), note]


SECTIONS: dict[str, tuple[str, Renderer]] = {
    "outcomes": ("Outcomes", outcomes),
    "scores": ("Scores", scores),
    "dosing": ("Dosing sessions", dosing),
    "vitals": ("Vitals per dosing session", vitals),
    "adverse-events": ("Adverse events", adverse_events),
    "intentions": ("Intentions and the insights that followed", intentions),
    "flags": ("Safety flags for review", flags),
}
