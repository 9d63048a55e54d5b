"""Issue 10, observation 10 (charts): the notebook charted 3 instruments and the PDF 5, with
their own rules. Both now draw the same series from records.outcomes: the same instruments,
points, baselines and guide lines (no 50 % line for PCL-5 or GAD-7)."""

from __future__ import annotations

import copy
import datetime as dt

from matplotlib.axes import Axes

from kap_notes.compile import load_patient_data
from kap_notes.compile.charts import outcome_figure as notebook_figure
from kap_notes.export.charts import outcome_figure as pdf_figure
from kap_notes.export.document import outcome_rows
from kap_notes.records.chart import chart
from kap_notes.records.outcomes import CHARTED_INSTRUMENTS, outcome_series
from kap_notes.service import lifecycle
from kap_notes.service.demo import record_course
from kap_notes.service.synthetic import synthetic_course
from tests.conftest import PASSPHRASES, Clinic
from tests.export.conftest import Recorded

#: Markers the notebook adds on points that meet a rule (the PDF draws the lines only).
NOTEBOOK_MARKERS = {"Meets response", "Reliable change", "Meaningful change"}


def _labels(ax: Axes) -> list[str]:
    return list(ax.get_legend_handles_labels()[1])


def test_notebook_and_pdf_chart_the_same_instruments_and_rules(recorded: Recorded) -> None:
    record = chart(recorded.tess, recorded.patient_id)
    series = outcome_series(record.notes)
    data = load_patient_data(recorded.tess, recorded.patient_id)
    assert data.outcomes == series  # same instruments, points, baselines and rules
    instruments = [s.instrument for s in series]
    assert instruments == ["phq9", "gad7", "pcl5"]  # seed 3 is a PTSD course
    assert set(instruments) <= set(CHARTED_INSTRUMENTS)
    notebook, pdf = notebook_figure(data.outcomes), pdf_figure(series)
    assert notebook is not None
    assert pdf is not None
    assert len(notebook.axes) == len(pdf.axes) == len(series)
    for one, nb_ax, pdf_ax in zip(series, notebook.axes, pdf.axes, strict=True):
        expected = [f"{one.label} total", *(g.label for g in one.guides())]
        assert _labels(pdf_ax) == expected
        assert [x for x in _labels(nb_ax) if x not in NOTEBOOK_MARKERS] == expected
    by_key = dict(zip(instruments, pdf.axes, strict=True))
    assert not any("%" in x or "Response" in x for x in _labels(by_key["pcl5"]))
    assert any(x.startswith("Reliable change: ≥ 5 points") for x in _labels(by_key["pcl5"]))
    assert _labels(by_key["gad7"]) == ["GAD-7 total", f"Baseline {series[1].baseline:g}"]
    assert any(x.startswith("Response: ≥ 50 % drop") for x in _labels(by_key["phq9"]))


def test_pdf_outcome_table_and_chart_leave_unsigned_drafts_out(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    course = synthetic_course(3, start=dt.date(2026, 1, 5))
    patient_id, _ = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    step = next(s for s in course.steps if s.form == "integration")
    worst = {**{f"phq9_{i}": "3" for i in range(1, 10)}, "phq9_difficulty": "very"}
    answers = {**copy.deepcopy(step.answers), "session_date": "2026-12-01", "phq9": worst}
    draft = lifecycle.save_draft(tess, patient_id, "integration", answers).ref.note_id
    record = chart(tess, patient_id)
    assert draft in {v.note.note_id for v in record.notes}  # the PDF still lists the draft
    rows = outcome_rows(record)
    assert rows
    assert "2026-12-01" not in {r["date"] for r in rows}
    assert 27 not in [r["total"] for r in rows if r["instrument"] == "phq9"]
    series = outcome_series(record.notes)
    assert draft not in {p.note_id for s in series for p in s.points}
    phq9 = [r["total"] for r in rows if r["instrument"] == "phq9"]
    assert phq9 == [p.total for p in series[0].points]
