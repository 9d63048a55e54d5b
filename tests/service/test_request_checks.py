"""Requests are checked by fastjsonschema and explained by jsonschema: both give one verdict."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from kap_notes.errors import InvalidInput
from kap_notes.service import requests

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=2**31 + 1),
    st.sampled_from([0.0, 1.0, 2.5, -1.0, 3e9]),
    st.sampled_from(["", " ", "\t\n", "x", "dosing", "KAP-ABC123", "a" * 201, "é" * 200]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, bool, dict[str, Any]]:
    """An operation and a body holding some of its fields (and now and then a stranger)."""
    op = draw(st.sampled_from(sorted(requests.REQUESTS)))
    names = [*requests.REQUESTS[op].fields, "passphrase", "extra"]
    keys = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    return op, draw(st.booleans()), {key: draw(JSON) for key in keys}


@settings(max_examples=25, deadline=None)
@given(case=bodies())
def test_fast_check_and_jsonschema_agree(case: tuple[str, bool, dict[str, Any]]) -> None:
    op, from_kernel, body = case
    schema = requests.REQUESTS[op].schema(from_kernel=from_kernel)
    valid = Draft202012Validator(schema).is_valid(body)
    if valid:
        requests.check_operation(op, body, from_kernel=from_kernel)
    else:
        with pytest.raises(InvalidInput) as refused:
            requests.check_operation(op, body, from_kernel=from_kernel)
        assert refused.value.problems  # explained in words, not just refused


@pytest.mark.parametrize(
    ("op", "body", "said"),
    [
        ("save_draft", {"patient_id": [], "form": "dosing", "answers": {}}, "must be text"),
        ("save_draft", {"patient_id": "p", "form": " ", "answers": {}}, "form"),
        ("save_draft", {"patient_id": "p", "form": "d", "answers": {}, "version": 0}, "at least"),
        ("add_addendum", {"note_id": "n", "text": "  "}, "an addendum needs some text"),
        ("render_section", {"patient_id": "p", "section": "x"}, "choose one of"),
        ("list_patients", {"surprise": 1}, "unknown field(s) 'surprise'"),
    ],
)
def test_a_refusal_is_explained_in_words(op: str, body: dict[str, Any], said: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        requests.check_operation(op, body, from_kernel=True)
    assert any(said in problem for problem in refused.value.problems)


def test_whole_number_floats_become_ints_and_passwords_are_any_text() -> None:
    got = requests.check_operation("discard_draft", {"note_id": "n", "version": 2.0})
    assert got["version"] == 2
    assert isinstance(got["version"], int)
    assert requests.check(requests.UNLOCK, {"user": "tess", "passphrase": "*"}, "unlock")


def test_checking_a_good_request_does_not_import_jsonschema() -> None:
    probe = (
        "import sys\n"
        "from kap_notes.service.requests import check_operation\n"
        "check_operation('save_draft', {'patient_id': 'p', 'form': 'dosing', 'answers': {}})\n"
        "print('jsonschema' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"
