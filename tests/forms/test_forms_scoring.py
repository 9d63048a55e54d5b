"""Instrument scoring against published rules, from JSON vectors in tests/data/instruments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kap_notes.forms import compute, flags, get_template, score_instrument

DATA = Path(__file__).parent.parent / "data" / "instruments"


def _vectors() -> list[Any]:
    cases = []
    for path in sorted(DATA.glob("*.json")):
        suite = json.loads(path.read_text("utf-8"))
        for vector in suite["vectors"]:
            cases.append(
                pytest.param(suite["instrument"], vector, id=f"{path.stem}: {vector['name']}")
            )
    return cases


@pytest.mark.parametrize(("name", "vector"), _vectors())
def test_scoring_vector(name: str, vector: dict[str, Any]) -> None:
    score = score_instrument(get_template(name), vector["answers"])
    assert score["total"] == vector["total"]
    assert score["band"] == vector["band"]
    assert score["complete"] is (vector["total"] is not None)
    for key, expected in vector.get("derived", {}).items():
        assert score[key] == expected
    if "flags" in vector:
        raised = [f.id for f in flags(get_template(name), vector["answers"])]
        assert raised == vector["flags"]


def test_vectors_cover_every_band_boundary() -> None:
    for name in ("phq9", "gad7", "pcl5", "qids_sr16", "madrs"):
        instrument = get_template(name)
        suite = json.loads((DATA / f"{name}.json").read_text("utf-8"))
        totals = {v["total"] for v in suite["vectors"]}
        assert instrument.score is not None
        for band in instrument.score.bands:
            assert {band.min, band.max} <= totals, (name, band.code)


def test_phq9_total_loinc_and_remission() -> None:
    score = score_instrument(get_template("phq9"), {f"phq9_{i}": 0 for i in range(1, 10)})
    assert score["loinc"] == "44261-6"
    assert score["remission"] is True


def test_answers_given_as_text_codes_still_score() -> None:
    answers = {f"gad7_{i}": "2" for i in range(1, 8)}
    assert score_instrument(get_template("gad7"), answers)["total"] == 14


def test_compute_on_an_instrument_returns_its_score() -> None:
    result = compute(get_template("madrs"), {"madrs_total": "35"})
    assert (result["total"], result["band"]) == (35, "severe")


def test_out_of_range_entered_total_is_not_scored() -> None:
    assert score_instrument(get_template("cadss"), {"cadss_total": 93})["total"] is None


def test_pcl5_clusters() -> None:
    answers = {f"pcl5_{i}": 1 for i in range(1, 21)}
    score = score_instrument(get_template("pcl5"), answers)
    assert (score["cluster_b_intrusion"], score["cluster_c_avoidance"]) == (5, 2)
    assert (score["cluster_d_cognition_mood"], score["cluster_e_arousal"]) == (7, 6)


def test_cssrs_moderate_or_high_risk_is_flagged_for_review() -> None:
    cssrs = get_template("cssrs_screener")
    assert [f.id for f in flags(cssrs, {"cssrs_risk": "high"})] == ["cssrs_moderate_or_high"]
    assert flags(cssrs, {"cssrs_risk": "low"}) == []
    assert score_instrument(cssrs, {"cssrs_risk": "low"})["risk_level"] == "low"
