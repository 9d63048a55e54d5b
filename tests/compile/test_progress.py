"""The progress notebook against a synthetic course recorded in a real vault."""

from __future__ import annotations

import io
from typing import Any

import nbformat
from PIL import Image

from kap_notes.compile import compile_patient
from kap_notes.compile.progress import NOTICE
from tests.compile.conftest import ADDENDUM, PROCESS_TEXT, Course12
from tests.compile.helpers import PNG_SIGNATURE, html_table, load, markdown, pngs, section


def _total(answers: dict[str, Any], prefix: str, count: int) -> int:
    return sum(int(answers[f"{prefix}_{i}"]) for i in range(1, count + 1))


def _scored_steps(recorded: Course12) -> list[dict[str, Any]]:
    steps = [s.answers for s in recorded.course.steps if "phq9" in s.answers]
    return sorted(steps, key=lambda a: str(a.get("session_datetime") or a["session_date"])[:10])


def test_notebook_is_valid_nbformat_v4(recorded: Course12) -> None:
    result = compile_patient(recorded.sam, recorded.patient_id)
    nb = nbformat.reads(result.notebook_json, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    ids = [cell.id for cell in nb.cells]
    assert len(ids) == len(set(ids))
    assert nb.metadata["kap_notes"]["patient_id"] == recorded.patient_id
    assert nb.metadata["kernelspec"]["name"] == "kap-notes"  # the kernel with history off


def test_header_names_the_patient_phase_and_counts(recorded: Course12) -> None:
    nb = load(compile_patient(recorded.sam, recorded.patient_id).notebook_json)
    header, summary = nb["cells"][0]["source"], nb["cells"][1]["source"]
    assert recorded.course.profile["chart_code"] in header
    assert recorded.course.profile["name"] in header
    assert NOTICE in header
    assert "| Phase | maintenance |" in summary  # 6 induction + 2 boosters
    assert "| Dosing sessions | 8 |" in summary
    assert "dosing 8, integration 8, intention 1, preparation 1" in summary


def test_scores_table_holds_the_totals_of_the_course_answers(recorded: Course12) -> None:
    nb = load(compile_patient(recorded.sam, recorded.patient_id).notebook_json)
    table = html_table(nb, "scores")
    steps = _scored_steps(recorded)
    assert [r["PHQ-9"] for r in table] == [str(_total(a["phq9"], "phq9", 9)) for a in steps]
    assert [r["GAD-7"] for r in table] == [str(_total(a["gad7"], "gad7", 7)) for a in steps]
    assert table[0]["PCL-5"] == str(_total(steps[0]["pcl5"], "pcl5", 20))
    assert table[0]["PHQ-9 item 9"] == "1"
    baseline = _total(steps[0]["phq9"], "phq9", 9)
    for row in table:
        total = int(row["PHQ-9"])
        assert row["PHQ-9 response (≥ 50 % drop)"] == ("Yes" if total <= baseline / 2 else "No")
        assert row["PHQ-9 remission (< 5)"] == ("Yes" if total < 5 else "No")


def test_dosing_table_holds_dose_per_kg_and_events(recorded: Course12) -> None:
    nb = load(compile_patient(recorded.sam, recorded.patient_id).notebook_json)
    table = html_table(nb, "dosing")
    weight = recorded.course.steps[0].answers["weight_kg"]
    dosing = [s.answers for s in recorded.course.steps if s.form == "dosing"]
    assert len(table) == len(dosing) == 8
    for row, answers in zip(table, dosing, strict=True):
        assert row["Date"] == answers["session_datetime"][:10]
        assert row["Route"] == "IM injection"
        assert float(row["Dose (mg)"]) == answers["dose_mg"]
        assert float(row["Dose (mg/kg)"]) == round(answers["dose_mg"] / weight, 2)
        peak = max(answers["vitals"], key=lambda v: v["systolic"])
        assert row["Peak BP (mmHg)"] == f"{peak['systolic']}/{peak['diastolic']}"
        assert row["CADSS"] == str(answers["cadss"]["cadss_total"])
        assert row["MOAA/S"] == answers["moaas"]["moaas_score"]
        events = answers["adverse_events"]
        assert row["Adverse events"] == ("Nausea / vomiting" if events else "")


def test_adverse_events_are_listed(recorded: Course12) -> None:
    nb = load(compile_patient(recorded.sam, recorded.patient_id).notebook_json)
    events = [
        (s.answers["session_datetime"][:10], e)
        for s in recorded.course.steps
        if s.form == "dosing"
        for e in s.answers["adverse_events"]
    ]
    table = html_table(nb, "adverse-events")
    assert len(table) == len(events) >= 1
    for row, (date, event) in zip(table, events, strict=True):
        assert (row["Date"], row["Event"], row["Severity"]) == (date, "Nausea / vomiting", "Mild")
        assert row["Intervention"] == event["ae_intervention"]


def test_charts_are_png_outputs(recorded: Course12) -> None:
    nb = load(compile_patient(recorded.sam, recorded.patient_id).notebook_json)
    outcome = pngs(section(nb, "outcomes"))
    vitals = pngs(section(nb, "vitals"))
    assert len(outcome) == 1
    assert len(vitals) == 8  # one per dosing session
    for png in outcome + vitals:
        assert png.startswith(PNG_SIGNATURE)
        image = Image.open(io.BytesIO(png))
        image.load()
        assert image.format == "PNG"
        assert image.width > 300
    assert len(set(vitals)) == 8  # each session drawn with its own data


def test_flags_show_item9_and_clinic_settings(recorded: Course12) -> None:
    nb = load(compile_patient(recorded.sam, recorded.patient_id).notebook_json)
    flags = html_table(nb, "flags")
    item9 = [f for f in flags if "PHQ-9 item 9" in f["Flag (for review)"]]
    assert len(item9) == 1
    assert item9[0]["Review"] == "co-signed by sam"  # the preparation note was co-signed
    settings = section(nb, "flags")["outputs"][1]["data"]["text/plain"]
    assert "(clinic setting)" in settings


def test_intentions_sit_beside_the_insights_that_followed(recorded: Course12) -> None:
    nb = load(compile_patient(recorded.sam, recorded.patient_id).notebook_json)
    html = section(nb, "intentions")["outputs"][0]["data"]["text/html"]
    intention = recorded.course.steps[1].answers["intentions"][0]["intention"]
    insights = [s.answers["insights"] for s in recorded.course.steps if s.form == "integration"]
    assert intention in html
    assert html.count("<li>") == len(insights)


def test_every_note_with_signatures_cosignatures_and_addenda(recorded: Course12) -> None:
    nb = load(compile_patient(recorded.sam, recorded.patient_id).notebook_json)
    text = markdown(nb)
    for note_id in recorded.note_ids:
        assert f"Note `{note_id}`" in text
    assert text.count("- Signed by tess at ") == len(recorded.note_ids)
    assert text.count("(signature verified)") == len(recorded.note_ids)
    assert text.count("- Co-signed by sam at ") == len(recorded.cosigned)
    assert "- Addendum by tess at " in text
    assert ADDENDUM in text
    positions = [text.index(f"Note `{n}`") for n in recorded.note_ids]
    assert positions == sorted(positions)  # date order


def test_process_notes_only_when_asked(recorded: Course12) -> None:
    default = compile_patient(recorded.tess, recorded.patient_id)
    assert recorded.process_note_id not in default.notebook_json
    included = compile_patient(recorded.tess, recorded.patient_id, include_process=True)
    assert recorded.process_note_id in included.notebook_json
    assert included.record_id != default.record_id  # stored apart from the supervisor's copy
    assert PROCESS_TEXT in included.notebook_json
    assert PROCESS_TEXT not in default.notebook_json


def test_last_code_cell_loads_frames_through_the_api(recorded: Course12) -> None:
    nb = load(compile_patient(recorded.sam, recorded.patient_id).notebook_json)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code[-1]["source"] == (
        "from kap_notes import api\n\n"
        f'frames = api.patient_frames("{recorded.patient_id}")\nsorted(frames)'
    )
    assert code[-1]["outputs"] == []
    assert all(c["outputs"] for c in code[:-1])  # every other code cell is pre-rendered
