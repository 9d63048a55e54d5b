"""Issue 10, observation 4: a notebook "compiled from the signed record" headlined an unsigned
draft's PHQ-9, and abandoned drafts showed as open safety flags under another clinician.

Summaries, baselines, tables, charts and open flags come from signed notes only; drafts are
listed apart, labelled unsigned, with their author; a discarded draft leaves the notebook.
"""

from __future__ import annotations

import copy
from typing import Any

from kap_notes.compile import compile_patient, load_patient_data, overview_notebook
from kap_notes.records.derived import baseline
from kap_notes.service import lifecycle
from kap_notes.service.notes import list_notes
from tests.compile.conftest import Course12
from tests.compile.helpers import html_table, load, markdown, section

FLAG = "PHQ-9 item 9 answered above 0"


def _phq9(item: str) -> dict[str, str]:
    return {**{f"phq9_{i}": item for i in range(1, 10)}, "phq9_difficulty": "somewhat"}


def _integration(recorded: Course12, day: str, item: str) -> dict[str, Any]:
    step = next(s for s in recorded.course.steps if s.form == "integration")
    answers = copy.deepcopy(step.answers)
    answers.pop("linked_dosing_note_id", None)
    return {**answers, "session_date": day, "phq9": _phq9(item)}


def _drafts(recorded: Course12) -> tuple[str, str]:
    """A later draft scoring 27 with item 9 answered (a flag), and an earlier one scoring 0."""
    later = lifecycle.save_draft(
        recorded.tess, recorded.patient_id, "integration", _integration(recorded, "2027-03-01", "3")
    )
    earlier = lifecycle.save_draft(
        recorded.tess, recorded.patient_id, "integration", _integration(recorded, "2025-01-01", "0")
    )
    assert any(FLAG in f.message for f in later.assessment.flags)  # the draft does raise it
    return later.ref.note_id, earlier.ref.note_id


def test_headlines_come_from_the_signed_record_and_ignore_unsigned_drafts(
    recorded: Course12,
) -> None:
    before = load_patient_data(recorded.sam, recorded.patient_id)
    later, earlier = _drafts(recorded)
    data = load_patient_data(recorded.sam, recorded.patient_id)
    # tables, baselines and open flags are exactly what they were before the drafts
    assert data.scores == before.scores
    assert data.baselines == before.baselines
    assert data.open_flags == before.open_flags
    signed = [n for n in list_notes(recorded.sam, recorded.patient_id) if n.signature is not None]
    found = baseline("phq9", signed)
    assert found is not None
    assert data.baselines["phq9"] == found[0]  # the one rule
    assert {r["note_id"] for r in data.drafts} == {later, earlier}
    assert all(r["status"] == "unsigned draft" and r["author"] == "tess" for r in data.drafts)
    assert not any(r["note_id"] in (later, earlier) for r in data.flags)

    nb = load(compile_patient(recorded.sam, recorded.patient_id).notebook_json)
    summary = nb["cells"][1]["source"]
    first, last = data.scores[0]["phq9"], data.scores[-1]["phq9"]
    assert f"| PHQ-9 baseline → latest | {first:g} → {last:g}" in summary
    assert "27" not in summary.split("PHQ-9 baseline")[1].split("\n")[0]
    assert "| Unsigned drafts (not in this summary) | 2 |" in summary
    assert "2027-03-01" not in {r["Date"] for r in html_table(nb, "scores")}
    flag_rows = html_table(nb, "flags")
    assert len(flag_rows) == len(data.flags)
    text = markdown(nb)
    assert "## Unsigned drafts (2)" in text
    draft_cell = next(c["source"] for c in nb["cells"] if later in c["source"])
    assert draft_cell.startswith("### UNSIGNED DRAFT · 2027-03-01 · integration")
    assert "by tess" in draft_cell
    assert "Scores as typed (unsigned): PHQ-9 27" in draft_cell
    assert FLAG in draft_cell
    # the signed-notes timeline does not list drafts
    assert f"## Signed notes in date order ({len(recorded.note_ids)})" in text


def test_another_clinicians_overview_shows_no_draft_flag_or_draft_score(
    recorded: Course12,
) -> None:
    before = load(overview_notebook(recorded.sam))
    _drafts(recorded)
    nb = load(overview_notebook(recorded.sam))
    row = html_table(nb, "patients")[0]
    old = html_table(before, "patients")[0]
    assert row["Last PHQ-9"] == old["Last PHQ-9"] != "27"
    assert row["Open flags"] == old["Open flags"]
    assert row["Unsigned drafts"] == "2"
    assert section(nb, "flags")["outputs"] == section(before, "flags")["outputs"]


def test_a_discarded_draft_leaves_the_notebook(recorded: Course12) -> None:
    later, earlier = _drafts(recorded)
    with_drafts = compile_patient(recorded.tess, recorded.patient_id).notebook_json
    assert later in with_drafts
    lifecycle.discard_draft(recorded.tess, later, 1)
    rebuilt = compile_patient(recorded.tess, recorded.patient_id)
    assert rebuilt.changed
    assert later not in rebuilt.notebook_json
    assert earlier in rebuilt.notebook_json
    assert "## Unsigned drafts (1)" in markdown(load(rebuilt.notebook_json))
