"""The demo clinic's cohort and outcomes notebook hold no identifier (Safe Harbor)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from kap_notes.compile.cohort import TABLES, build_cohort, outcomes_notebook, write_cohort
from kap_notes.service import lifecycle
from kap_notes.service.demo import DEMO_PEOPLE
from kap_notes.vault.errors import NotAuthorised
from tests.cohort.conftest import Demo, strings_in

CANARY = "Canary ZQX7 process musing"


@pytest.fixture(scope="module")
def exported(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    sam = demo.unlock("sam")
    out = tmp_path_factory.mktemp("export") / "cohort"
    write_cohort(build_cohort(sam), out)
    return out, outcomes_notebook(sam)


def _identifiers(demo: Demo) -> set[str]:
    """Names, dates of birth, chart codes, record ids, calendar dates and free text."""
    sam = demo.unlock("sam")
    found: set[str] = {name for name, _ in DEMO_PEOPLE.values()}
    for patient_id in sam.readable_patients():
        for record in sam.read_patient(patient_id):
            found.add(record.record_id)
            for text in strings_in(record.content):
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", text):
                    found.add(text[:10])  # every calendar date
                elif " " in text.strip() or text.startswith("KAP-"):
                    found.add(text)  # names, chart codes, free text (choice codes have no spaces)
    for course in demo.courses:
        found |= {course.profile["name"], course.profile["date_of_birth"]}
        found.add(course.profile["chart_code"])
    return {f for f in found if len(f) >= 6}


def test_no_identifier_anywhere(demo: Demo, exported: tuple[Path, str]) -> None:
    # Given every identifier and free text the demo records hold
    identifiers = _identifiers(demo)
    assert any(i.startswith("KAP-S") for i in identifiers)
    assert "2026-01-05" in identifiers
    # When the cohort is exported and the notebook compiled
    out, notebook = exported
    texts = {p.name: p.read_text() for p in out.iterdir()}
    texts["outcomes.ipynb"] = notebook
    assert sorted(texts) == sorted([*(f"{t}.csv" for t in TABLES), "README.txt", "outcomes.ipynb"])
    # Then none appears anywhere
    leaks = {(name, i) for name, text in texts.items() for i in identifiers if i in text}
    allowed = {"Nausea / vomiting"}  # choice displays, not free text
    assert {(n, i) for n, i in leaks if i not in allowed} == set()


def test_process_note_never_included(demo: Demo, tmp_path: Path) -> None:
    tess = demo.unlock("tess")
    patient_id = demo.made.patients["tess"][0]
    answers = {"session_datetime": "2026-01-20T12:00", "process_note": CANARY}
    lifecycle.save_draft(tess, patient_id, "process-note", answers)
    cohort = build_cohort(demo.unlock("sam"))
    write_cohort(cohort, tmp_path)
    assert not any(CANARY in p.read_text() for p in tmp_path.iterdir())
    assert "process-note" not in set(cohort["sessions"]["form"])


def test_offsets_consistent_within_a_patient(demo: Demo, exported: tuple[Path, str]) -> None:
    out, _ = exported
    sessions = pd.read_csv(out / "sessions.csv")
    scores = pd.read_csv(out / "scores.csv")
    # every course starts at day 0 with its preparation note, intention a week later
    firsts = sessions.groupby("study_id")["day"].min()
    assert set(firsts) == {0}
    intention = sessions[sessions["form"] == "intention"].groupby("study_id")["day"].min()
    assert set(intention) == {7}
    # each course's gaps are those of the synthetic course it came from
    expected = sorted(
        tuple(
            (dt.date.fromisoformat(str(s.answers.get("session_datetime") or s.answers.get(
                "session_date"))[:10]) - dt.date(2026, 1, 5) - dt.timedelta(weeks=i)).days
            for s in course.steps
        )
        for i, course in enumerate(demo.courses)
    )  # fmt: skip
    got = sorted(tuple(g["day"]) for _, g in sessions.groupby("study_id"))
    assert [sorted(e) for e in expected] == [sorted(g) for g in got]
    # scores sit on the days of the sessions that scored them
    merged = scores.merge(sessions, on=["study_id", "day"], how="left", indicator=True)
    assert set(merged["_merge"]) == {"both"}


def test_study_ids_new_for_each_export(demo: Demo) -> None:
    sam = demo.unlock("sam")
    first, second = build_cohort(sam), build_cohort(sam)
    assert not set(first["patients"]["study_id"]) & set(second["patients"]["study_id"])
    assert len(set(first["patients"]["study_id"])) == len(first["patients"])


def test_notebook_deterministic_and_labelled(demo: Demo) -> None:
    sam = demo.unlock("sam")
    one, two = outcomes_notebook(sam), outcomes_notebook(sam)
    assert one == two
    assert "not clinical advice" in one
    for heading in ("Wilson 95", "Kaplan", "per 100 dosing sessions", "trajectories"):
        assert heading in one


def test_therapist_refused_and_export_audited(demo: Demo) -> None:
    with pytest.raises(NotAuthorised):
        build_cohort(demo.unlock("tess"))
    sam = demo.unlock("sam")
    start = max(r.seq for r in sam.store.audit_rows())
    build_cohort(sam)
    new = [r for r in sam.store.audit_rows(after=start) if r.actor == sam.user_id]
    exports = [r for r in new if r.action == "export"]
    assert [(r.patient, r.record) for r in exports] == [(None, None)]
    # every patient's read is audited on its own (ids only)
    reads = {r.patient for r in new if r.action == "read"}
    assert reads == set(sam.readable_patients())
