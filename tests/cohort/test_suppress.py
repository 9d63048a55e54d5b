"""Small-cell suppression: k holds on every quasi-identifier combination (hypothesis)."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from kap_notes.compile.cells import validated_json
from kap_notes.compile.cohort.deidentify import SUPPRESSED, Course
from kap_notes.compile.cohort.frames import assemble
from kap_notes.compile.cohort.notebook import build_outcomes
from kap_notes.compile.cohort.suppress import QUASI_IDENTIFIERS, suppress

QUASI = st.fixed_dictionaries(
    {
        "age_band": st.sampled_from(["18-29", "30-39", "40-49", "90+"]),
        "sex": st.sampled_from(["female", "male", "unknown"]),
        "indication": st.sampled_from(["trd", "ptsd", "anxiety+trd"]),
        "route": st.sampled_from(["IV infusion", "IM injection", "none"]),
    }
)


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(QUASI, max_size=60), k=st.integers(2, 8))
def test_every_combination_holds_k(rows: list[dict[str, str]], k: int) -> None:
    result = suppress(rows, k)
    released = list(result.released.values())
    counts = Counter(tuple(r[q] for q in QUASI_IDENTIFIERS) for r in released)
    # every combination (and every sub-combination, being a union of them) holds ≥ k
    assert all(n >= k for n in counts.values())
    assert result.dropped == len(rows) - len(released)
    for index, row in result.released.items():  # a value is kept as it was, or generalised
        assert all(row[q] in (rows[index][q], SUPPRESSED) for q in QUASI_IDENTIFIERS)
    generalised = sum(
        row[q] == SUPPRESSED for row in released for q in QUASI_IDENTIFIERS
    )  # fmt: skip
    assert generalised <= sum(result.generalised.values())


@settings(max_examples=15, deadline=None)
@given(rows=st.lists(QUASI, max_size=40), k=st.integers(2, 6))
def test_assembled_patients_hold_k_and_route_hidden_everywhere(
    rows: list[dict[str, str]], k: int
) -> None:
    courses = [
        Course(**r, phase="induction", sessions=[{"day": 0, "form": "dosing", "phase": "induction",
               "route": r["route"], "dose_mg": 50, "mg_per_kg": 0.5}])
        for r in rows
    ]  # fmt: skip
    cohort = assemble(courses, k)
    patients = cohort["patients"]
    sizes = patients.groupby(list(QUASI_IDENTIFIERS)).size()
    assert (sizes >= k).all()
    assert len(patients) + cohort.dropped == len(rows)
    hidden = set(patients[patients["route"] == SUPPRESSED]["study_id"])
    sessions = cohort["sessions"]
    assert set(sessions[sessions["study_id"].isin(hidden)]["route"]) <= {SUPPRESSED}


def test_common_combinations_kept_as_they_are() -> None:
    rows = [{"age_band": "30-39", "sex": "female", "indication": "trd", "route": "IV"}] * 5
    rare = [{"age_band": "90+", "sex": "male", "indication": "ocd", "route": "IM"}]
    result = suppress(rows + rare, 5)
    assert [result.released[i] for i in range(5)] == rows
    assert result.dropped == 1  # alone even with everything generalised


def test_a_cohort_with_everyone_left_out_still_compiles() -> None:
    session = {"day": 0, "form": "dosing", "phase": "induction", "route": "IM injection",
               "dose_mg": 50, "mg_per_kg": 0.7}  # fmt: skip
    rare = Course("30-39", "female", "ocd", "IM injection", "induction", sessions=[session])
    cohort = assemble([rare], 5)
    assert cohort.dropped == 1
    assert all(frame.empty for frame in cohort.frames.values())
    notebook = validated_json(build_outcomes(cohort))
    assert "left out because no generalisation reached k: 1" in notebook
