"""Record padding: size buckets, records sealed under the old rule, and sizes that hide the form."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from kap_notes.service import lifecycle
from kap_notes.service.demo import record_course
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault import crypto
from tests.conftest import PASSPHRASES
from tests.vault.conftest import Clinic

VECTORS = json.loads((Path(__file__).parent.parent / "data" / "envelope_vectors.json").read_text())
LEGACY = VECTORS["legacy_padding_records"]["records"]
FORMS = {"preparation", "intention", "dosing", "integration", "process-note"}
lengths = st.integers(min_value=0, max_value=10**9)


def _is_bucket(size: int) -> bool:
    """At least the minimum, a multiple of 256, and only its top ⌊log2 E⌋ + 1 bits may be set."""
    top = size.bit_length() - 1
    low_bits = top - top.bit_length()
    return size >= crypto.PAD_MINIMUM and size % 256 == 0 and size % (1 << low_bits) == 0


@given(lengths)
def test_padded_length_is_a_bucket_with_room_for_the_marker(length: int) -> None:
    size = crypto.padded_length(length)
    assert _is_bucket(size)
    assert size >= length + 1
    # a bucket is its own bucket: with monotonicity, the smallest bucket that fits
    assert crypto.padded_length(size - 1) == size


@given(lengths, lengths)
def test_padded_length_is_monotone(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert crypto.padded_length(low) <= crypto.padded_length(high)


@given(lengths)
def test_above_the_minimum_padding_costs_at_most_a_sixteenth(length: int) -> None:
    needed = length + 1
    if needed > crypto.PAD_MINIMUM:
        assert crypto.padded_length(length) <= needed + needed // 16


def test_bucket_edges() -> None:
    minimum = crypto.PAD_MINIMUM
    assert crypto.padded_length(0) == minimum
    assert crypto.padded_length(minimum - 1) == minimum
    assert crypto.padded_length(minimum) > minimum
    # in [8 KiB, 16 KiB) buckets are 512 bytes apart; from 1 MiB, 32 KiB apart
    assert crypto.padded_length(minimum) == minimum + 512
    assert crypto.padded_length(2**20) == 2**20 + 2**15


@settings(max_examples=200)
@given(st.binary(max_size=20_000))
def test_unpad_inverts_pad(data: bytes) -> None:
    padded = crypto.pad(data)
    assert len(padded) == crypto.padded_length(len(data))
    assert crypto.unpad(padded) == data


@given(st.binary(max_size=2_000).map(lambda data: data.rstrip(b"\x00") + b"\x80\x00"))
def test_data_ending_like_padding_survives(data: bytes) -> None:
    assert crypto.unpad(crypto.pad(data)) == data


def _unpad_by_stripping(data: bytes) -> bytes | None:
    """The rule as first written (strip the zeros, then the marker): the oracle for unpad."""
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80") or len(data) % crypto.PAD_BLOCK:
        return None
    return stripped[:-1]


def _tampered_padding() -> st.SearchStrategy[bytes]:
    """Padded plaintexts with bytes changed, inserted or cut: mostly near the marker."""
    padded = st.binary(max_size=600).map(crypto.pad)
    return st.one_of(
        st.tuples(padded, st.integers(0, 10**6), st.integers(0, 255)).map(
            lambda t: t[0][: -1 - t[1] % 300] + bytes([t[2]]) + t[0][len(t[0]) - t[1] % 300 :]
        ),
        st.tuples(padded, st.integers(1, 300)).map(lambda t: t[0][: -t[1]]),
        st.tuples(padded, st.integers(1, 300)).map(lambda t: t[0] + bytes(t[1])),
        st.binary(max_size=1_024),
        st.integers(0, 4).map(lambda n: bytes(256 * n)),
    )


@settings(max_examples=300)
@given(_tampered_padding())
def test_unpad_refuses_exactly_what_the_first_rule_refused(data: bytes) -> None:
    expected = _unpad_by_stripping(data)
    if expected is None:
        with pytest.raises(crypto.OpenError):
            crypto.unpad(data)
    else:
        assert crypto.unpad(data) == expected


# ------------------------------------------------------------------ the old rule still opens


def test_records_sealed_under_the_old_rule_still_open() -> None:
    """Blobs written by the release that padded to 256-byte multiples (kept in the vectors)."""
    for vector in LEGACY:
        blob = bytes.fromhex(vector["blob"])
        assert len(blob) < crypto.PAD_MINIMUM  # really the old rule, not today's bucket
        _, content = crypto.open_record(
            bytes.fromhex(vector["patient_key"]),
            blob,
            vault=vector["vault"],
            patient=vector["patient"],
            record=vector["record"],
            version=vector["version"],
        )
        assert content == vector["content"]


def _old_pad(data: bytes) -> bytes:
    padded = data + b"\x80"
    return padded + b"\x00" * (-len(padded) % 256)


def _reseal_with_old_padding(key: bytes, blob: bytes, version: int, epoch: int) -> bytes:
    """The same record as the old rule would have sealed it, built from raw primitives."""
    length = int.from_bytes(blob[4:8], "big")
    header_bytes, ciphertext = blob[8 : 8 + length], blob[8 + length :]
    header = json.loads(header_bytes)
    info = json.dumps(
        ["kap-notes record key", header["vault"], header["patient"], header["record"], version],
        separators=(",", ":"),
    ).encode() + epoch.to_bytes(8, "big")
    enc_key = HKDF(hashes.SHA256(), 64, bytes.fromhex(header["salt"]), info).derive(key)[:32]
    nonce = bytes.fromhex(header["nonce"])
    padded = AESGCM(enc_key).decrypt(nonce, ciphertext, header_bytes)
    plaintext = padded.rstrip(b"\x00")[:-1]
    return blob[: 8 + length] + AESGCM(enc_key).encrypt(nonce, _old_pad(plaintext), header_bytes)


json_leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=300)


@settings(max_examples=60, deadline=None)
@given(
    content=st.dictionaries(st.text(max_size=10), json_leaf, max_size=12),
    version=st.integers(1, 1000),
)
def test_any_record_under_the_old_rule_opens(content: dict[str, Any], version: int) -> None:
    key = crypto.random_bytes(32)
    place = {"vault": "v", "patient": "p", "record": "r"}
    new_blob = crypto.seal_record(key, **place, version=version, epoch=3, content=content)
    old_blob = _reseal_with_old_padding(key, new_blob, version, 3)
    assert len(old_blob) < len(new_blob)
    assert crypto.open_record(key, old_blob, **place, version=version)[1] == content


# ------------------------------------------------------------------ sizes do not tell the form


def test_a_synthetic_course_shows_one_size_for_every_form(clinic: Clinic) -> None:
    """Drafts and signed versions of all five forms: no stored size separates any two forms."""
    tess = clinic.unlock("tess")
    course = synthetic_course(7, start=dt.date(2026, 3, 2), boosters=2)
    patient_id, note_ids = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    process = lifecycle.save_draft(
        tess,
        patient_id,
        "process-note",
        {
            "session_datetime": course.steps[2].answers["session_datetime"],
            "process_note": "Synthetic: noticed a pull to reassure; take to supervision.",
        },
    )
    sizes: dict[str, set[int]] = {}
    for note_id in [*note_ids, process.ref.note_id]:
        version = 1
        while (row := tess.store.get_record(note_id, version)) is not None:
            form = tess.get_record(note_id, version).content["form"]
            sizes.setdefault(form, set()).add(len(row.blob))
            version += 1
    assert set(sizes) == FORMS
    assert sizes["dosing"] == sizes["integration"], sizes
    assert len(set().union(*sizes.values())) == 1, sizes
