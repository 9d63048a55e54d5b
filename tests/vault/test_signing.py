"""A signature covers the signer as displayed: name, id, time, meaning and content."""

from __future__ import annotations

import pytest

from kap_notes.vault.signing import sign_content, verify_content
from tests.vault.conftest import Clinic


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("signer_name", "Dr Somebody Else"),
        ("signed_at", "2020-01-01T00:00:00+00:00"),
        ("meaning", "cosign"),
        ("domain", "kap-notes record signature v1"),
        ("domain", "something else"),
    ],
)
def test_changing_what_the_signature_shows_breaks_it(
    clinic: Clinic, field: str, value: str
) -> None:
    tess = clinic.unlock("tess")
    signed = sign_content(tess, {"kind": "note", "text": "t"}, "rec_x", 1, meaning="author")
    assert signed["signature"]["signer_name"] == "tess"
    assert verify_content(tess.signing_key_of, signed, "rec_x", 1)
    forged = {**signed, "signature": {**signed["signature"], field: value}}
    assert not verify_content(tess.signing_key_of, forged, "rec_x", 1)
