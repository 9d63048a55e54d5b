"""Rates, Wilson intervals and Kaplan–Meier against independent computations (statsmodels,
lifelines, and the synthetic courses' own answers)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from statsmodels.stats.proportion import proportion_confint

from kap_notes.compile.cohort import analyses, build_cohort
from kap_notes.compile.cohort.stats import kaplan_meier, wilson
from kap_notes.forms import ClinicSettings
from tests.cohort.conftest import Demo


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 400), data=st.data())
def test_wilson_matches_statsmodels(n: int, data: st.DataObject) -> None:
    successes = data.draw(st.integers(0, n))
    low, high = proportion_confint(successes, n, alpha=0.05, method="wilson")
    found = wilson(successes, n)
    assert found.low == pytest.approx(low, abs=1e-12)
    assert found.high == pytest.approx(high, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.booleans()), min_size=1, max_size=50))
def test_kaplan_meier_matches_lifelines(pairs: list[tuple[int, bool]]) -> None:
    durations, observed = [p[0] for p in pairs], [p[1] for p in pairs]
    fitter = KaplanMeierFitter().fit(durations, observed)
    expected = fitter.survival_function_["KM_estimate"]
    for step in kaplan_meier(durations, observed):
        assert step.survival == pytest.approx(expected.loc[step.time], abs=1e-12)
        assert step.at_risk == fitter.event_table.loc[step.time, "at_risk"]


def _synthetic_frames(groups: dict[str, tuple[int, int]]) -> dict[str, pd.DataFrame]:
    """Per route (patients, responders): PHQ-9 20 at day 0, then 8 (response) or 18 at day 21;
    responders on odd positions remit (4) instead."""
    patients, scores = [], []
    for route, (n, responders) in groups.items():
        for i in range(n):
            sid = f"{route}-{i}"
            patients.append({"study_id": sid, "route": route, "phase": "induction"})
            later = (4 if i % 2 else 8) if i < responders else 18
            for day, total in ((0, 20), (21, later)):
                scores.append({"study_id": sid, "day": day, "instrument": "phq9", "total": total,
                               "response": total <= 10, "remission": total < 5})  # fmt: skip
    return {"patients": pd.DataFrame(patients), "scores": pd.DataFrame(scores)}


def test_rates_on_a_cohort_with_known_rates() -> None:
    frames = _synthetic_frames({"IV infusion": (40, 30), "IM injection": (25, 5)})
    table = analyses.rates(frames, "phq9").set_index(["by", "group", "outcome"])
    for group, n, met in (("IV infusion", 40, 30), ("IM injection", 25, 5), ("all", 65, 35)):
        key = ("all", "all patients") if group == "all" else ("route", group)
        row = table.loc[(*key, "response")]
        low, high = proportion_confint(met, n, alpha=0.05, method="wilson")
        assert (row["patients"], row["met"]) == (n, met)
        assert row["rate_pct"] == round(100 * met / n, 1)
        assert row["ci95_low_pct"] == round(100 * low, 1)
        assert row["ci95_high_pct"] == round(100 * high, 1)
    remission = table.loc[("route", "IV infusion", "remission")]
    assert remission["met"] == 15  # every other responder
    km = analyses.time_to_response(frames, "phq9")
    assert km.iloc[-1]["day"] == 21
    assert km.iloc[-1]["responded_by_now_pct"] == round(100 * 35 / 65, 1)


def _totals(answers: dict[str, object]) -> int | None:
    items = answers.get("phq9")
    if not isinstance(items, dict):
        return None
    return sum(int(str(v)) for k, v in items.items() if k.startswith("phq9_") and k[5:].isdigit())


def test_demo_response_rate_matches_the_courses(demo: Demo) -> None:
    # independent: each course's PHQ-9 item sums straight from the answers it was recorded with
    expected = 0
    for course in demo.courses:
        totals = [t for s in course.steps if (t := _totals(s.answers)) is not None]
        expected += any(t <= totals[0] / 2 for t in totals[1:])
    cohort = build_cohort(demo.unlock("sam"), ClinicSettings(cohort_min_cell=2))
    table = analyses.rates(cohort.frames, "phq9").set_index(["by", "group", "outcome"])
    row = table.loc[("all", "all patients", "response")]
    assert (row["patients"], row["met"]) == (len(demo.courses), expected)
    assert 0 < expected < len(demo.courses)
