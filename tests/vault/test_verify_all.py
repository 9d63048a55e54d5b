"""Signatures checked in one batch (``crypto.verify_all``, in threads when many are new) say
exactly what checking each alone says, and a patient's views still name the one note, addendum
or review whose signature was forged among many valid ones."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kap_notes.records.chart import build_views
from kap_notes.service import lifecycle, review
from kap_notes.service.demo import record_course
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault import crypto
from kap_notes.vault.session import StoredRecord
from kap_notes.vault.signing import verify_content
from tests.conftest import PASSPHRASES, Clinic

PAIRS = [crypto.KeyPair.generate() for _ in range(3)]
THREADS_FROM = crypto.PARALLEL_VERIFY_MIN


@settings(max_examples=30, deadline=None)
@given(
    size=st.integers(0, 3 * crypto.PARALLEL_VERIFY_MIN),
    forged=st.sets(st.integers(0, 3 * crypto.PARALLEL_VERIFY_MIN)),
    part=st.sampled_from([0, 1, 2]),
    repeat=st.booleans(),
)
def test_a_batch_says_what_each_check_alone_says(
    size: int, forged: set[int], part: int, repeat: bool
) -> None:
    triples = []
    for i in range(size):
        pair = PAIRS[i % len(PAIRS)]
        message = f"synthetic note {i} {size}".encode()
        triple = [pair.signing_public, crypto.sign(pair.signing, message), message]
        if i in forged:
            changed = bytearray(triple[part])
            changed[i % len(changed)] ^= 0x01
            triple[part] = bytes(changed)
        triples.append((triple[0], triple[1], triple[2]))
    if repeat:
        crypto.verify_all(triples)  # a second batch is answered from the memo
    oracle = [crypto.verifier(key)(signature, message) for key, signature, message in triples]
    assert crypto.verify_all(triples) == oracle
    assert oracle == [i not in forged for i in range(size)]


def _forge(record: StoredRecord) -> StoredRecord:
    """The same content with its signature value changed (signed by no one)."""
    block = dict(record.content["signature"])
    value = bytearray.fromhex(block["value"])
    value[0] ^= 0x01
    block["value"] = value.hex()
    return dataclasses.replace(record, content={**record.content, "signature": block})


@pytest.mark.parametrize("parallel_min", [THREADS_FROM, 10**6])
def test_views_name_each_forged_signature_among_many(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch, parallel_min: int
) -> None:
    monkeypatch.setattr(crypto, "PARALLEL_VERIFY_MIN", parallel_min)  # threads, then in line
    tess = clinic.unlock("tess")
    course = synthetic_course(9, start=dt.date(2026, 4, 6))
    patient, notes = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    for note in notes[:4]:
        lifecycle.add_addendum(tess, note, "Synthetic addendum.", passphrase=PASSPHRASES["tess"])
    sam = clinic.unlock("sam")
    for note in notes[:4]:
        review.cosign(sam, note, passphrase=PASSPHRASES["sam"])
    records = tess.read_patient(patient)
    signed = [r for r in records if isinstance(r.content.get("signature"), dict)]
    assert len(signed) > THREADS_FROM  # notes, addenda, reviews: enough for the threads
    kinds = {kind: [r for r in signed if r.content.get("kind") == kind] for kind in
             ("note", "addendum", "review")}  # fmt: skip
    forged = {kinds["note"][2].record_id, kinds["addendum"][1].record_id,
              kinds["review"][3].record_id}  # fmt: skip
    shown = [_forge(r) if r.record_id in forged else r for r in records]

    views = build_views(shown, tess.signing_key_of)

    valid = {v.note.note_id: v.signature_valid for v in views}
    valid |= {a.addendum_id: a.signature_valid for v in views for a in v.addenda}
    valid |= {r.review_id: r.signature_valid for v in views for r in v.reviews}
    assert {rid for rid, ok in valid.items() if not ok} == forged
    assert set(valid) == {r.record_id for r in signed}
    oracle = {r.record_id: verify_content(tess.signing_key_of, r.content, r.record_id, r.version)
              for r in shown if r.record_id in valid}  # fmt: skip
    assert valid == oracle
    statuses = {v.note.note_id: v.status for v in views}
    forged_cosign = kinds["review"][3].content["note"]
    assert statuses[forged_cosign] == "signed"  # a forged co-sign counts for nothing
    assert [statuses[n] for n in notes[:4] if n != forged_cosign] == ["cosigned"] * 3
