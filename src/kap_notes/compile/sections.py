"""The pre-rendered outputs of each progress-notebook section, by section name.

The same renderers serve the compiled notebook and ``api.show`` in a live kernel, so a re-run
cell shows exactly what the compiled output showed, with current data.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from kap_notes.compile import charts
from kap_notes.compile.cells import Output, display_output, png_output, table_output, text_output
from kap_notes.compile.data import PatientData, Row
from kap_notes.records.display import display_plain

Renderer = Callable[[PatientData], list[Output]]

_SCORE_COLUMNS = {
    "date": "Date",
    "form": "Note",
    "status": "Status",
    "phq9": "PHQ-9",
    "phq9_band": "PHQ-9 band",
    "phq9_item9": "PHQ-9 item 9",
    "phq9_change_pct": "Change from baseline (%)",
    "response": "Response (>= 50% drop)",
    "remission": "Remission (PHQ-9 < 5)",
    "gad7": "GAD-7",
    "gad7_band": "GAD-7 band",
    "pcl5": "PCL-5",
    "pcl5_band": "PCL-5 band",
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


def display_table(rows: list[Row], columns: Mapping[str, str]) -> pd.DataFrame:
    """Rows as text cells under human column names."""
    return pd.DataFrame(
        [[shown(row.get(key)) for key in columns] for row in rows], columns=list(columns.values())
    )


def outcomes(data: PatientData) -> list[Output]:
    png = charts.outcome_chart(data)
    if png is None:
        return [text_output("No PHQ-9, GAD-7 or PCL-5 scores recorded yet.")]
    caption = "Outcome chart: PHQ-9, GAD-7 and PCL-5 totals with baseline and response marked"
    return [png_output(png, caption)]


def scores(data: PatientData) -> list[Output]:
    return [table_output(display_table(data.scores, _SCORE_COLUMNS))]


def dosing(data: PatientData) -> list[Output]:
    return [table_output(display_table(data.dosing, _DOSING_COLUMNS))]


def vitals(data: PatientData) -> list[Output]:
    rendered = charts.vitals_charts(data)
    if not rendered:
        return [text_output("No vitals recorded yet.")]
    return [
        png_output(png, f"Vitals {row['date']} ({row['route']}, {shown(row['dose_mg'])} mg)")
        for row, png in rendered
    ]


def adverse_events(data: PatientData) -> list[Output]:
    return [table_output(display_table(data.adverse_events, _EVENT_COLUMNS))]


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
    table = (
        '<table class="kap-table"><thead><tr><th>Intention</th>'
        "<th>Integration insights that followed</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )
    return [display_output({"text/html": table, "text/plain": "\n".join(plain)})]


def flags(data: PatientData) -> list[Output]:
    """Open flags first; a flag is open until a supervisor co-signs its note."""
    ordered = data.open_flags + [f for f in data.flags if f["review"] != "open"]
    lines = [f"Clinic settings: {line}" for line in data.settings.describe()]
    note = text_output("\n".join(lines))
    return [table_output(display_table(ordered, _FLAG_COLUMNS), "No flags raised."), note]


SECTIONS: dict[str, tuple[str, Renderer]] = {
    "outcomes": ("Outcomes", outcomes),
    "scores": ("Scores", scores),
    "dosing": ("Dosing sessions", dosing),
    "vitals": ("Vitals per dosing session", vitals),
    "adverse-events": ("Adverse events", adverse_events),
    "intentions": ("Intentions and the insights that followed", intentions),
    "flags": ("Safety flags for review", flags),
}
