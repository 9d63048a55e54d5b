"""Property: any input to validate/compute/flags yields a result, never an exception."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kap_notes.forms import FormDefinition, compute, flags, get_template, validate
from kap_notes.forms.scope import item_index

FORMS = ["preparation", "intention", "dosing", "integration", "process-note", "phq9", "qids_sr16"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["", " ", "12a", "1e999", "2024-02-30", "2024-03-01 09:00", "iv", "esketamine_in"]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def answer_sets(draw: st.DrawFn) -> tuple[FormDefinition, dict[str, Any]]:
    definition = get_template(draw(st.sampled_from(FORMS)))
    index = item_index(definition)
    link_ids = sorted(index.top) + [link for rows in index.rows.values() for link in rows]
    keys = st.one_of(st.sampled_from(link_ids), st.text(max_size=6))
    answers = draw(st.dictionaries(keys, values, max_size=8))
    for group in index.rows:  # rows with arbitrary contents too
        if draw(st.booleans()):
            row_keys = st.sampled_from(sorted(index.rows[group]))
            answers[group] = draw(
                st.lists(st.dictionaries(row_keys, values, max_size=4), max_size=3)
            )
    return definition, answers


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answer_sets(), st.dictionaries(st.sampled_from(["patient_weight_kg", "dosing_date"]), scalars)
)
def test_arbitrary_answers_never_raise(
    case: tuple[FormDefinition, dict[str, Any]], context: dict[str, Any]
) -> None:
    definition, answers = case
    result = validate(definition, answers, context)
    assert all(issue.message for issue in result.issues)
    compute(definition, answers, context)
    flags(definition, answers, context)


@given(values)
def test_non_mapping_answers_are_an_issue_not_an_exception(answers: Any) -> None:
    validate(get_template("dosing"), answers)
    compute(get_template("dosing"), answers)
    flags(get_template("dosing"), answers)
