"""Issue 10 item 8: QIDS-SR16 total from its items, MEQ-30 total over all 30 items, PCL-5
repeatable at integration, and one sex code list (old codes still readable)."""

from __future__ import annotations

import datetime as dt
import random
import statistics
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kap_notes.forms import (
    TemplateError,
    compute,
    get_template,
    load_templates,
    migrate,
    score_instrument,
    validate,
)
from kap_notes.model.note import Note
from kap_notes.model.patient import SEX_CODES, SEXES, Patient
from kap_notes.records.derived import assess_as_of
from kap_notes.service import synthetic
from tests.forms.helpers import shipped_yaml, write_yaml

QIDS = get_template("qids_sr16")
RESPONSES = st.lists(st.integers(0, 3), min_size=16, max_size=16)


def qids_items(values: list[int]) -> dict[str, int]:
    return {f"qids_{i}": v for i, v in enumerate(values, start=1)}


def published_qids(v: list[int]) -> int:
    """Rush et al. 2003: max(1–4) + 5 + max(6–9) + 10..14 + max(15–16)."""
    return max(v[0:4]) + v[4] + max(v[5:9]) + sum(v[9:14]) + max(v[14:16])


@settings(max_examples=25, deadline=None)
@given(values=RESPONSES, entered=st.integers(0, 27))
def test_qids_total_comes_from_the_items_and_a_contradicting_total_cannot_be_signed(
    values: list[int], entered: int
) -> None:
    expected = published_qids(values)
    assert score_instrument(QIDS, qids_items(values))["total"] == expected
    answers = qids_items(values) | {"qids_total": entered}
    result = validate(QIDS, answers)
    assert score_instrument(QIDS, answers)["total"] == expected
    if entered == expected:
        assert result.ok
    else:
        assert not result.ok
        assert [i.link_id for i in result.errors] == ["qids_total"]
        assert f"total {entered} does not match" in result.errors[0].message


def test_qids_total_alone_is_score_entry_and_partial_items_are_an_error() -> None:
    assert validate(QIDS, {"qids_total": 14}).ok
    assert score_instrument(QIDS, {"qids_total": 14})["band"] == "moderate"
    partial = validate(QIDS, {"qids_total": 14, "qids_1": 2})
    assert not partial.ok
    assert "all 16 responses or none" in partial.messages()[0]
    assert "the total score or all 16 responses" in validate(QIDS, {}).messages()[0]


MEQ = get_template("meq30")
SUBSCALES = {"meq_mystical": 15, "meq_positive_mood": 6, "meq_transcendence": 6}
SUBSCALES["meq_ineffability"] = 3


@settings(max_examples=25, deadline=None)
@given(items=st.lists(st.integers(0, 5), min_size=30, max_size=30))
def test_meq30_total_is_the_mean_of_all_30_items(items: list[int]) -> None:
    answers: dict[str, Any] = {}
    start = 0
    for name, count in SUBSCALES.items():
        answers[name] = statistics.fmean(items[start : start + count])
        start += count
    total = score_instrument(MEQ, answers)["total"]
    assert total == round(statistics.fmean(items), 2)


def test_meq30_total_is_not_the_mean_of_subscale_means() -> None:
    answers = {"meq_mystical": 1, "meq_positive_mood": 5, "meq_transcendence": 5}
    answers["meq_ineffability"] = 5
    # mean of means would be 4.0; all 30 items: (15 + 30 + 30 + 15) / 30 = 3.0
    assert score_instrument(MEQ, answers)["total"] == 3.0


def pcl5(total_per_item: int) -> dict[str, int]:
    return {f"pcl5_{i}": total_per_item for i in range(1, 21)}


def test_pcl5_is_repeated_at_integration_with_change_from_the_signed_baseline() -> None:
    integration = get_template("integration")
    assert integration.find("pcl5") is not None
    assert integration.find("pcl5_change_points") is not None
    rng = random.Random(5)
    prep = synthetic.preparation(dt.date(2024, 1, 2), rng, weight=70, phq_total=18, ptsd=True) | {
        "pcl5": pcl5(3)
    }
    later = synthetic.integration(
        dt.date(2024, 2, 1), rng, phq_total=9, next_day=None, next_step="continue"
    ) | {"pcl5": pcl5(2)}
    signed = Note(
        "prep",
        "p1",
        1,
        "preparation",
        prep,
        "tess",
        status="signed",
        session_date="2024-01-02",
        signature={"signed_at": "2024-01-02T12:00:00Z"},
    )
    draft = Note("int", "p1", 1, "integration", later, "tess", session_date="2024-02-01")
    assessment, used = assess_as_of(draft, [signed])
    assert assessment.computed["pcl5"]["total"] == 40
    assert assessment.computed["pcl5_change_points"] == 40 - 60
    assert "prep" in used
    # without a signed baseline there is no change to report
    unsigned = Note("prep", "p1", 1, "preparation", prep, "tess", session_date="2024-01-02")
    assert assess_as_of(draft, [unsigned])[0].computed["pcl5_change_points"] is None
    assert compute(integration, {"pcl5": pcl5(1)})["pcl5"]["total"] == 20


def test_one_sex_code_list_for_registration_the_form_and_fhir() -> None:
    # since 1.2.0 the preparation form no longer asks for sex: it lives in the patient record
    assert get_template("preparation").find("sex") is None
    sex = get_template("preparation", "1.1.0").find("sex")
    assert sex is not None
    assert [(o.code, o.display) for o in sex.options] == list(SEX_CODES.items())
    assert tuple(o.code for o in sex.options) == SEXES
    # the template names the shared list instead of repeating (and drifting from) it
    assert "{'linkId': 'sex', 'text': 'Sex', 'type': 'choice', 'codeList': 'sex'}" in str(
        shipped_yaml("forms/previous/preparation-1.1.0.yaml")["items"]
    )


def test_old_sex_codes_stay_readable() -> None:
    # a preparation note written with 1.0.0 still opens with its own version ...
    old_sex = get_template("preparation", "1.0.0").find("sex")
    assert old_sex is not None
    assert {o.code for o in old_sex.options} >= {"intersex", "not_stated"}
    # ... and migrates to the shared codes
    assert migrate({"sex": "not_stated"}, "preparation", "1.0.0", "1.1.0")["sex"] == "unknown"
    assert migrate({"sex": "intersex"}, "preparation", "1.0.0", "1.1.0")["sex"] == "other"
    # stored patient records and registration input with old codes read as the shared codes
    assert Patient.from_record({"name": "S", "sex": "not_stated"}).sex == "unknown"
    assert Patient.from_record({"name": "S", "sex": "intersex"}).sex == "other"
    registered = Patient.from_input({"name": "S", "date_of_birth": "1980-01-01", "sex": "Female"})
    assert registered.sex == "female"


def test_unknown_code_list_or_setting_in_a_clinic_template_is_refused(tmp_path: Path) -> None:
    doc = shipped_yaml("forms/intention.yaml") | {"version": "9.0.0"}
    doc["items"][0]["item"].append(
        {"linkId": "pronoun", "text": "Pronoun", "type": "choice", "codeList": "pronoun"}
    )
    write_yaml(tmp_path, "intention.yaml", doc)
    with pytest.raises(TemplateError, match="codeList"):
        load_templates([tmp_path], use_env=False)
    doc = shipped_yaml("forms/intention.yaml") | {"version": "9.0.1"}
    doc["flags"] = [
        {
            "id": "x",
            "linkId": "session_datetime",
            "when": {"op": "gt", "args": [{"const": 1}, {"setting": "made_up_limit"}]},
            "message": "x",
        }
    ]
    write_yaml(tmp_path, "intention.yaml", doc)
    with pytest.raises(TemplateError, match="setting 'made_up_limit' is not a clinic setting"):
        load_templates([tmp_path], use_env=False)


def test_previous_template_versions_stay_loaded() -> None:
    for name in ("dosing", "integration", "qids_sr16", "meq30"):
        assert get_template(name).version == "1.1.0"
        assert get_template(name, "1.0.0").version == "1.0.0"
    assert get_template("preparation").version == "1.2.0"
    for version in ("1.0.0", "1.1.0"):
        assert get_template("preparation", version).version == version


def test_an_embedded_qids_with_a_contradicting_total_cannot_be_signed(tmp_path: Path) -> None:
    doc = shipped_yaml("forms/intention.yaml") | {"version": "9.0.0"}
    doc["items"].append(
        {
            "linkId": "qids",
            "text": "QIDS-SR16",
            "type": "instrument",
            "instrument": "urn:kap-notes:instrument:qids-sr16",
        }
    )
    write_yaml(tmp_path, "intention.yaml", doc)
    form = load_templates([tmp_path], use_env=False).get("intention")
    items = qids_items([1] * 16)  # scores 9
    wrong = validate(form, {"qids": items | {"qids_total": 20}}).errors
    assert [(i.link_id, i.group) for i in wrong if i.group == "qids"] == [("qids_total", "qids")]
    right = validate(form, {"qids": items | {"qids_total": 9}}).errors
    assert [i for i in right if i.group == "qids"] == []
    assert compute(form, {"qids": items | {"qids_total": 20}})["qids"]["total"] == 9
