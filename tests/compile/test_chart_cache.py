"""What keeps a 100-note compile fast and its notebook small: the per-process vitals template,
chart keys that change with exactly what a chart shows, 4-bit vitals PNGs, tables written
without pandas, and answers displayed through a looked-up-once template item.

A real vault (SQLite, real encryption and signatures) holding one synthetic course.
"""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from kap_notes.compile import charts, load_patient_data
from kap_notes.compile.cells import text_table_output
from kap_notes.compile.data import PatientData
from kap_notes.compile.values import display
from kap_notes.forms import ClinicSettings
from kap_notes.records.display import form_answer
from tests.compile.conftest import Course12


def _with_reading(data: PatientData, session: int) -> PatientData:
    """``data`` with the first systolic reading of the ``session``-th dosing session 3 higher."""
    note_id = data.dosing[session]["note_id"]
    first = next(i for i, r in enumerate(data.vitals) if r["note_id"] == note_id)
    vitals = [dict(r) for r in data.vitals]
    vitals[first]["systolic"] = float(vitals[first]["systolic"]) + 3
    return dataclasses.replace(data, vitals=vitals)


def test_the_vitals_template_gives_the_same_bytes_cold_and_warm(recorded: Course12) -> None:
    data = load_patient_data(recorded.tess, recorded.patient_id)
    charts._template.cache_clear()
    cold = charts.vitals_charts(data)
    hits = charts._template.cache_info().hits
    warm = charts.vitals_charts(data)
    assert charts._template.cache_info().hits > hits  # the second call drew on the template
    assert len(cold) > 1
    assert warm == cold


def test_a_changed_reading_redraws_exactly_its_sessions_chart(recorded: Course12) -> None:
    data = load_patient_data(recorded.tess, recorded.patient_id)
    before = charts.vitals_charts(data)
    assert len(before) == len(data.dosing)  # every session charted: chart i is session i
    changed = _with_reading(data, 1)
    # Every chart drawn before stands in as a marker: what is not redrawn comes back as it.
    reuse = {c.key: f"reused {c.key}".encode() for c in before}
    after = charts.vitals_charts(changed, reuse)
    assert [c.key == b.key for c, b in zip(after, before, strict=True)] == [
        i != 1 for i in range(len(before))
    ]
    assert [c.png.startswith(b"reused") for c in after] == [i != 1 for i in range(len(before))]
    assert after[1].png != before[1].png
    assert after[1].png == charts.vitals_charts(changed)[1].png  # what drawing afresh gives


def test_a_new_alert_setting_redraws_every_vitals_chart(recorded: Course12) -> None:
    data = load_patient_data(recorded.tess, recorded.patient_id)
    other = dataclasses.replace(data, settings=ClinicSettings(systolic_alert_mmhg=171))
    before, after = charts.vitals_charts(data), charts.vitals_charts(other)
    assert not {c.key for c in before} & {c.key for c in after}  # the alert line is in each


def test_vitals_charts_take_four_bits_a_pixel(recorded: Course12) -> None:
    data = load_patient_data(recorded.tess, recorded.patient_id)
    pngs = [c.png for c in charts.vitals_charts(data)]
    # IHDR: bit depth at byte 24, colour type (3: indexed) at byte 25.
    assert pngs
    assert all((png[24], png[25]) == (4, 3) for png in pngs)
    outcome = charts.outcome_chart(data)
    assert outcome is not None
    assert outcome[25] == 3


def test_answers_display_as_the_records_show_them(recorded: Course12) -> None:
    data = load_patient_data(recorded.tess, recorded.patient_id)
    answers = [v.note.answers for v in data.views if v.note.form == "dosing"]
    assert answers
    for answer in answers:
        for link_id in ("route", "dose_mg", "session_phase", "start_time", "no_such_item"):
            shown = display("dosing", link_id, answer.get(link_id, "x"))
            assert shown == form_answer("dosing", link_id, answer.get(link_id, "x"))
        for row in answer.get("vitals") or []:
            at = row.get("measured_at")
            assert display("dosing", "measured_at", at) == form_answer("dosing", "measured_at", at)


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)


@settings(max_examples=25, deadline=None)
@given(
    header=st.lists(_TEXT, min_size=1, max_size=4),
    body=st.lists(st.lists(_TEXT, min_size=4, max_size=4), min_size=1, max_size=4),
)
def test_tables_show_every_cell_as_text(header: list[str], body: list[list[str]]) -> None:
    rows = [row[: len(header)] for row in body]
    output = text_table_output(header, rows)
    parser = _Cells()
    parser.feed(output["data"]["text/html"])
    assert parser.rows == [header, *rows]  # markup in a cell is shown, never applied
    lines = output["data"]["text/plain"].split("\n")
    assert len(lines) == len(rows) + 1
    flat = [[" ".join(c.split()) for c in line] for line in [header, *rows]]
    widths = [max(len(line[i]) for line in flat) for i in range(len(header))]
    for text, cells in zip(lines, flat, strict=True):
        starts = [sum(widths[:i]) + 2 * i for i in range(len(cells))]
        assert [text[s : s + len(c)] for s, c in zip(starts, cells, strict=True)] == cells


def test_an_empty_table_says_so() -> None:
    output = text_table_output(["Date"], [], "No flags raised.")
    assert output["data"] == {
        "text/plain": "No flags raised.",
        "text/html": "<p>No flags raised.</p>",
    }
