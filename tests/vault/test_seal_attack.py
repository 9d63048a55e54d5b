"""A signature is only believed on the version a signing entry sealed.

The attacker is a note's own author with database access: she stores a signed-looking version of
her draft under an ordinary ``update`` (the policy allows updates to unsealed drafts), so that she
could overwrite the "signed" note later. Readers must refuse that version: "signed" means final.
"""

from __future__ import annotations

import datetime as dt

import pytest

from kap_notes.records.chart import chart
from kap_notes.service import lifecycle
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault.errors import IntegrityError
from kap_notes.vault.signing import sign_content
from tests.conftest import PASSPHRASES, synthetic_patient
from tests.vault.conftest import Clinic


def test_a_signed_version_written_as_an_update_is_refused(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient(
        {"kind": "patient", "chart_code": "KAP-X2", "sex": "unknown", **synthetic_patient()}
    )
    answers = synthetic_course(5, start=dt.date(2026, 2, 2)).steps[0].answers
    draft = lifecycle.save_draft(tess, patient, "preparation", answers).ref
    content = {**tess.get_record(draft.note_id).content, "status": "signed"}
    signed = sign_content(tess, content, draft.note_id, 2, meaning="author")
    # The policy accepts an update of her own unsealed draft ...
    tess.put_record(patient, signed, record_id=draft.note_id, expected_version=1, action="update")
    # ... but no reader believes a signature the log never sealed.
    with pytest.raises(IntegrityError, match="carries a signature but was not written"):
        tess.get_record(draft.note_id)
    sam = clinic.unlock("sam")
    with pytest.raises(IntegrityError):
        chart(sam, patient)


def test_the_signing_entry_seals_the_signed_version(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient(
        {"kind": "patient", "chart_code": "KAP-X3", "sex": "unknown", **synthetic_patient()}
    )
    answers = synthetic_course(5, start=dt.date(2026, 2, 2)).steps[0].answers
    draft = lifecycle.save_draft(tess, patient, "preparation", answers).ref
    lifecycle.sign_note(tess, draft.note_id, PASSPHRASES["tess"])
    assert tess.get_record(draft.note_id).content["signature"]["signer"] == tess.user_id
    assert chart(clinic.unlock("sam"), patient).notes[0].status == "signed"
