"""Notebook building blocks: escaping patient text, stable PNG bytes, cell ids."""

from __future__ import annotations

import re
import subprocess
import sys

import matplotlib
import nbformat
from hypothesis import given
from hypothesis import strategies as st

from kap_notes.compile import charts
from kap_notes.compile.cells import NotebookBuilder, md, validated_json
from kap_notes.compile.compiled import user_names
from kap_notes.compile.data import gather
from kap_notes.records.chart import chart
from tests.compile.conftest import Course12


@given(st.text())
def test_escaped_text_has_no_live_markup(text: str) -> None:
    escaped = md(text)
    assert "\n" not in escaped
    unescaped = re.sub(r"\\(.)", "", escaped)  # drop every escaped character
    assert not set(unescaped) & set("\\`*_[]<>&|~!$")


def test_markup_in_patient_text_is_shown_literally() -> None:
    assert md("<script>x</script> *bold* [l](u) $x$") == (
        r"\<script\>x\</script\> \*bold\* \[l\](u) \$x\$"
    )


def test_cell_ids_follow_the_layout_and_validate() -> None:
    book = NotebookBuilder()
    book.markdown("header", "# T")
    book.code("rec_0a1/weird id!", "1")
    assert [c["id"] for c in book.cells] == ["000-header", "001-rec_0a1-weird-id"]
    assert validated_json(book.notebook({})) == validated_json(book.notebook({}))
    nbformat.validate(nbformat.reads(validated_json(book.notebook({})), as_version=4))


def test_png_bytes_ignore_local_matplotlib_settings(recorded: Course12) -> None:
    view = chart(recorded.sam, recorded.patient_id)
    data = gather(recorded.patient_id, view.patient, view.notes, user_names(recorded.sam))
    plain = charts.outcome_chart(data), charts.vitals_charts(data)
    with matplotlib.rc_context({"lines.linewidth": 7, "font.size": 20, "figure.dpi": 300}):
        styled = charts.outcome_chart(data), charts.vitals_charts(data)
    assert plain == styled
    assert plain[0] is not None
    assert b"Software" not in plain[0]
    assert b"matplotlib" not in plain[0]


def test_compile_imports_no_widgets_or_server() -> None:
    code = (
        "import sys, kap_notes.compile, kap_notes.api, kap_notes.cli.compile\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'ipywidgets', 'jupyter_server', 'IPython'})\n"
        "print(bad)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
