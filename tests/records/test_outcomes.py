"""Outcome rules as template data, and the one outcome read model (records.outcomes) that the
notebook and the PDF both chart (issue 10, observations 8 and 10)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kap_notes.forms import get_template
from kap_notes.model.note import Note
from kap_notes.records.chart import NoteView
from kap_notes.records.derived import baseline
from kap_notes.records.outcomes import (
    CHARTED_INSTRUMENTS,
    outcome_series,
    rule_of,
    screener_risk,
    series_for,
)


def _view(
    n: int, scores: dict[str, float], *, signed: bool = True, status: str = "signed"
) -> NoteView:
    computed: dict[str, Any] = {k: {"instrument": k, "total": v} for k, v in scores.items()}
    note = Note(
        note_id=f"n{n:03d}",
        patient_id="p",
        version=2 if signed else 1,
        form="integration",
        answers={},
        author="tess",
        session_date=f"2026-02-{n + 1:02d}",
        signature={"signer": "tess", "signed_at": f"2026-02-{n + 1:02d}T18:00:00Z"}
        if signed
        else None,
        extra={"computed": computed},
    )
    return NoteView(note, status if signed else "draft", signature_valid=signed)


def test_published_rules_are_template_data() -> None:
    phq9, gad7, pcl5 = rule_of("phq9"), rule_of("gad7"), rule_of("pcl5")
    assert (phq9.response_drop_percent, phq9.remission_below) == (50, 5)
    assert (rule_of("qids_sr16").response_drop_percent, rule_of("qids_sr16").remission_below) == (
        50,
        6,  # QIDS-SR16 remission: total 5 or less
    )
    assert rule_of("madrs").response_drop_percent == 50
    # PCL-5: change thresholds, never a 50 % response rule
    assert (pcl5.reliable_change_points, pcl5.meaningful_change_points) == (5, 10)
    assert pcl5.response_drop_percent is None
    assert pcl5.remission_below is None
    # GAD-7: charted, no rule drawn
    assert gad7.label == "GAD-7"
    assert (gad7.response_drop_percent, gad7.reliable_change_points) == (None, None)
    assert get_template("pcl5").outcome is not None  # carried by FormDefinition
    assert [rule_of(k).label for k in CHARTED_INSTRUMENTS] == [
        "PHQ-9",
        "GAD-7",
        "PCL-5",
        "QIDS-SR16",
        "MADRS",
    ]


def test_previous_instrument_versions_still_load_without_an_outcome_block() -> None:
    old = get_template("urn:kap-notes:instrument:qids-sr16", "1.0.0")
    assert old.version == "1.0.0"
    assert old.outcome is None


def test_pcl5_series_has_change_guides_and_no_response_line() -> None:
    views = [_view(i, {"pcl5": t}) for i, t in enumerate([48, 44, 37, 30])]
    series = series_for("pcl5", views)
    kinds = [g.kind for g in series.guides()]
    assert kinds == ["baseline", "reliable", "meaningful"]
    assert not any("%" in g.label for g in series.guides())
    assert [g.value for g in series.guides()] == [48, 43, 38]
    assert [(p.reliable, p.meaningful) for p in series.points] == [
        (False, False),
        (False, False),
        (True, True),
        (True, True),
    ]
    assert {p.response for p in series.points} == {None}


def test_gad7_series_draws_the_baseline_only() -> None:
    series = series_for("gad7", [_view(i, {"gad7": t}) for i, t in enumerate([15, 6])])
    assert [g.kind for g in series.guides()] == ["baseline"]
    assert series.points[-1].response is None


def test_phq9_series_draws_response_and_remission() -> None:
    series = series_for("phq9", [_view(i, {"phq9": t}) for i, t in enumerate([20, 10, 4])])
    labels = {g.kind: g.label for g in series.guides()}
    assert labels["response"] == "Response: ≥ 50 % drop (≤ 10)"
    assert labels["remission"] == "Remission (< 5)"
    assert [p.response for p in series.points] == [False, True, True]
    assert [p.remission for p in series.points] == [False, False, True]
    assert [p.change_pct for p in series.points] == [0, -50, -80]


def test_drafts_superseded_versions_and_unscored_instruments_are_left_out() -> None:
    views = [
        _view(0, {"phq9": 18, "pcl5": 40}),
        _view(1, {"phq9": 2}, signed=False),  # a draft never counts
        _view(2, {"phq9": 3}, status="superseded"),
        _view(3, {"phq9": 12}),
    ]
    series = outcome_series(views)
    assert [s.instrument for s in series] == ["phq9", "pcl5"]  # gad7, qids, madrs unscored
    assert [p.total for p in series[0].points] == [18, 12]
    assert series[0].baseline == 18
    assert series[0].baseline_note == "n000"


@settings(max_examples=20, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(CHARTED_INSTRUMENTS), st.integers(0, 27), st.booleans()),
        min_size=1,
        max_size=8,
    )
)
def test_baseline_is_the_one_rule_and_points_follow_the_signed_record(
    entries: list[tuple[str, int, bool]],
) -> None:
    views = [
        _view(i, {key: total}, signed=signed) for i, (key, total, signed) in enumerate(entries)
    ]
    notes = [v.note for v in views]
    for series in outcome_series(views):
        found = baseline(series.instrument, notes)
        assert found is not None
        assert (series.baseline, series.baseline_note) == found
        expected = [t for k, t, s in entries if k == series.instrument and s]
        assert [p.total for p in series.points] == expected
        rule = series.rule
        kinds = {g.kind for g in series.guides()}
        assert ("response" in kinds) == bool(rule.response_drop_percent and series.baseline)
        for point in series.points:
            if rule.response_drop_percent and series.baseline:
                drop = (series.baseline - point.total) / series.baseline * 100
                assert point.response == (drop >= rule.response_drop_percent)
            else:
                assert point.response is None


def test_screener_risk_reads_the_option_text() -> None:
    computed = {"cssrs": {"instrument": "cssrs_screener", "risk_level": "moderate"}}
    assert screener_risk(computed) == "Moderate (item 3 or lifetime behaviour)"
    assert screener_risk({"phq9": {"instrument": "phq9", "total": 3}}) is None
