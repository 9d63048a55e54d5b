"""Issue 10, observation 8 (notebook parts): PCL-5 repeated at integration charts one point per
signed note, with its 5/10-point change rule and no 50 % line (nor for GAD-7); the notebook
shows SpO2, respiratory rate and the C-SSRS risk level."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from matplotlib.axes import Axes

from kap_notes.compile import compile_patient, load_patient_data
from kap_notes.compile.charts import outcome_figure
from kap_notes.compile.progress import LAYOUT_VERSION
from kap_notes.service import lifecycle
from kap_notes.service.notes import list_notes
from tests.compile.conftest import Course12
from tests.compile.helpers import html_table, load, section
from tests.conftest import PASSPHRASES

PCL5_AT_INTEGRATION = (30, 41)  # two signed integration notes, then an unsigned draft


def _pcl5(total: int) -> dict[str, str]:
    values = [min(4, max(0, total - 4 * i)) for i in range(20)]
    assert sum(values) == total
    return {f"pcl5_{i + 1}": str(v) for i, v in enumerate(values)}


def _integration(recorded: Course12, dosing_id: str, day: dt.date, pcl5: int) -> dict[str, Any]:
    step = next(s for s in recorded.course.steps if s.form == "integration")
    answers = copy.deepcopy(step.answers)
    pcl5_answers = _pcl5(pcl5)
    return {
        **answers,
        "session_date": day.isoformat(),
        "linked_dosing_note_id": dosing_id,
        "next_session_date": (day + dt.timedelta(days=7)).isoformat(),
        "pcl5": pcl5_answers,
    }


def _add_pcl5_integrations(recorded: Course12) -> list[str]:
    """Two signed integration notes with PCL-5 after the last dosing session, and one draft."""
    notes = list_notes(recorded.tess, recorded.patient_id)
    dosing = max((n for n in notes if n.form == "dosing"), key=lambda n: n.session_date or "")
    day = dt.date.fromisoformat(str(dosing.session_date)[:10])
    signed = []
    for offset, total in zip((2, 5), PCL5_AT_INTEGRATION, strict=True):
        answers = _integration(recorded, dosing.note_id, day + dt.timedelta(days=offset), total)
        saved = lifecycle.save_draft(recorded.tess, recorded.patient_id, "integration", answers)
        lifecycle.sign_note(recorded.tess, saved.ref.note_id, PASSPHRASES["tess"])
        signed.append(saved.ref.note_id)
    draft = _integration(recorded, dosing.note_id, day + dt.timedelta(days=6), 12)
    lifecycle.save_draft(recorded.tess, recorded.patient_id, "integration", draft)
    return signed


def _labels(ax: Axes) -> list[str]:
    return list(ax.get_legend_handles_labels()[1])


def test_pcl5_charts_one_point_per_signed_integration_without_a_50_percent_line(
    recorded: Course12,
) -> None:
    signed = _add_pcl5_integrations(recorded)
    data = load_patient_data(recorded.sam, recorded.patient_id)
    by_key = {s.instrument: s for s in data.outcomes}
    pcl5 = by_key["pcl5"]
    baseline = pcl5.points[0]  # the preparation note's PCL-5 (seed 12 is a PTSD course)
    assert pcl5.baseline == baseline.total
    assert [p.note_id for p in pcl5.points[1:]] == signed  # the draft is not a point
    assert [p.total for p in pcl5.points[1:]] == list(PCL5_AT_INTEGRATION)
    figure = outcome_figure(data.outcomes)
    assert figure is not None
    panels = dict(zip([s.instrument for s in data.outcomes], figure.axes, strict=True))
    line = panels["pcl5"].get_lines()[0]
    assert len(line.get_xdata()) == len(signed) + 1
    labels = _labels(panels["pcl5"])
    assert labels[0] == "PCL-5 total"
    assert any(label.startswith("Reliable change: ≥ 5 points") for label in labels)
    assert any(label.startswith("Clinically meaningful change: ≥ 10 points") for label in labels)
    assert not any("Response" in label or "%" in label for label in labels)
    gad7 = _labels(panels["gad7"])
    assert gad7 == ["GAD-7 total", f"Baseline {by_key['gad7'].baseline:g}"]
    assert any(label.startswith("Response: ≥ 50 % drop") for label in _labels(panels["phq9"]))
    assert "Remission (< 5)" in _labels(panels["phq9"])
    # the scores table says the same per note
    nb = load(compile_patient(recorded.sam, recorded.patient_id).notebook_json)
    assert nb["metadata"]["kap_notes"]["layout_version"] == LAYOUT_VERSION
    rows = html_table(nb, "scores")
    assert "GAD-7 response (≥ 50 % drop)" not in rows[0]
    assert "PCL-5 response (≥ 50 % drop)" not in rows[0]
    pcl5_rows = [r for r in rows if r["PCL-5"]]
    assert [r["PCL-5"] for r in pcl5_rows] == [f"{p.total:g}" for p in pcl5.points]
    expected = ["Yes" if pcl5.baseline - p.total >= 5 else "No" for p in pcl5.points]
    assert [r["PCL-5 reliable change (≥ 5 points)"] for r in pcl5_rows] == expected
    caption = section(nb, "outcomes")["outputs"][0]["data"]["text/plain"]
    assert "GAD-7: no response or change rule drawn" in caption
    assert "PCL-5: Reliable change: ≥ 5 points" in caption


def test_notebook_shows_spo2_respiratory_rate_and_cssrs_risk(recorded: Course12) -> None:
    nb = load(compile_patient(recorded.sam, recorded.patient_id).notebook_json)
    readings = html_table(nb, "vitals")
    typed = [
        row for s in recorded.course.steps if s.form == "dosing" for row in s.answers["vitals"]
    ]
    assert len(readings) == len(typed)
    assert [r["SpO2 (%)"] for r in readings] == [str(v["spo2"]) for v in typed]
    assert [r["Respiratory rate (/min)"] for r in readings] == [str(v["resp_rate"]) for v in typed]
    assert readings[0]["Measured at"] == typed[0]["measured_at"].replace("T", " ")
    scores = html_table(nb, "scores")
    preparation = next(s.answers for s in recorded.course.steps if s.form == "preparation")
    risk = preparation["cssrs"]["cssrs_risk"]
    expected = {"none": "No risk identified (all items no)", "low": "Low (items 1–2 only)"}[risk]
    assert scores[0]["Note"] == "preparation"
    assert scores[0]["C-SSRS risk level"] == expected
    assert all(r["C-SSRS risk level"] == "" for r in scores[1:])  # not screened again
