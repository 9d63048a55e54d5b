"""Reading many patients at once (My day, the review queue) and the memo of valid signatures.

``Session.read_patients`` must audit exactly as one ``read_patient`` per patient would (one
"read" entry each, by the reader), only in one transaction; and it must refuse what
``read_patient`` refuses. ``crypto.verify`` remembers valid signatures: the memo may never vouch
for a changed key, signature or message.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kap_notes.vault import audit, crypto
from kap_notes.vault.errors import NotAuthorised
from tests.conftest import Clinic, synthetic_patient


def _reads(clinic: Clinic, patient: str, user_id: str) -> int:
    rows = clinic.vault.store.audit_rows(patient)
    return sum(r.action == "read" and r.actor == user_id for r in rows)


def test_many_patients_read_at_once_are_each_audited_once(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patients = [tess.create_patient({"kind": "patient", **synthetic_patient(n)}) for n in (1, 2, 3)]
    tess.put_record(patients[0], {"kind": "note", "text": "synthetic"})
    before = {p: _reads(clinic, p, tess.user_id) for p in patients}

    found = tess.read_patients(patients)

    assert list(found) == patients
    assert [len(found[p]) for p in patients] == [2, 1, 1]  # profile (+ the note)
    assert {p: _reads(clinic, p, tess.user_id) - before[p] for p in patients} == dict.fromkeys(
        patients, 1
    )
    assert audit.verify_chain(clinic.vault.store, clinic.vault.vault_id).ok


def test_reading_many_refuses_a_patient_the_reader_may_not_open(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    mine = tess.create_patient({"kind": "patient", **synthetic_patient(1)})
    theo = clinic.unlock("theo")
    theirs = theo.create_patient({"kind": "patient", **synthetic_patient(2)})
    with pytest.raises(NotAuthorised):
        tess.read_patients([mine, theirs])
    assert _reads(clinic, mine, tess.user_id) == 0  # nothing shown, nothing logged as read


@settings(max_examples=25, deadline=None)
@given(part=st.sampled_from(["key", "signature", "message"]), flip=st.integers(0, 31))
def test_the_signature_memo_never_vouches_for_a_changed_triple(part: str, flip: int) -> None:
    pair = crypto.KeyPair.generate()
    message = b"synthetic note version 1"
    signature = crypto.sign(pair.signing, message)
    public = pair.signing_public
    assert crypto.verify(public, signature, message)  # now remembered
    assert crypto.verify(public, signature, message)  # a memo hit
    changed = {"key": public, "signature": signature, "message": message}
    value = bytearray(changed[part])
    value[flip % len(value)] ^= 0x01
    changed[part] = bytes(value)
    assert not crypto.verify(changed["key"], changed["signature"], changed["message"])
