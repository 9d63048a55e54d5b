"""A draft's ``discard`` can never hide a signed note, even from a database writer.

The attacker is the signed note's own author (she holds her keys and can write the database):
she seals a tombstone (or any new version) over her signed note, stores it and covers it with an
audit entry signed by her own key. The verified policy log knows the record was sealed by its
``sign`` entry, so unlock refuses the vault naming that entry and ``audit verify`` reports it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from kap_notes.service import lifecycle
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault import audit, crypto
from kap_notes.vault.errors import IntegrityError, SignedRecordImmutable
from kap_notes.vault.session import Session
from kap_notes.vault.store import RecordRow
from tests.conftest import PASSPHRASES, synthetic_patient
from tests.vault.conftest import Clinic

from ._attacker import append_signed, assert_names_entry, assert_reported


def _signed_note(tess: Session) -> tuple[str, str]:
    patient = tess.create_patient(
        {"kind": "patient", "chart_code": "KAP-X1", "sex": "unknown", **synthetic_patient()}
    )
    answers = synthetic_course(4, start=dt.date(2026, 2, 2)).steps[0].answers
    draft = lifecycle.save_draft(tess, patient, "preparation", answers).ref
    lifecycle.sign_note(tess, draft.note_id, PASSPHRASES["tess"])
    return patient, draft.note_id


def test_the_library_refuses_to_discard_a_signed_note(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient, note_id = _signed_note(tess)
    tombstone = {"kind": lifecycle.DISCARDED_KIND, "note": note_id, "author": tess.user_id}
    with pytest.raises(SignedRecordImmutable):
        tess.put_record(patient, tombstone, record_id=note_id, expected_version=2, action="discard")
    assert tess.get_record(note_id).version == 2


@pytest.mark.parametrize("action", ["discard", "update"])
def test_author_covering_a_write_over_her_signed_note_stops_unlock(
    clinic: Clinic, action: str
) -> None:
    tess = clinic.unlock("tess")
    patient, note_id = _signed_note(tess)
    epoch = tess.patient(patient).epoch
    tombstone = {"kind": lifecycle.DISCARDED_KIND, "note": note_id, "author": tess.user_id}
    blob = crypto.seal_record(
        tess.patient_key(patient, epoch),
        vault=tess.vault.vault_id,
        patient=patient,
        record=note_id,
        version=3,
        epoch=epoch,
        content=tombstone,
    )
    with tess.store.transaction():
        tess.store.update_record(RecordRow(note_id, patient, 3, blob), 2)
    entry = append_signed(
        tess.store,
        tess.key_pair,
        tess.user_id,
        action,
        patient=patient,
        record=note_id,
        version=3,
        blob_sha256=crypto.sha256(blob).hex(),
    )
    with pytest.raises(IntegrityError) as raised:
        clinic.unlock("tess")
    assert_names_entry(str(raised.value), entry.seq)
    vault = clinic.open()
    assert_reported(audit.verify_chain(vault.store, vault.vault_id), f"audit entry {entry.seq}")
