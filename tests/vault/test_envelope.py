"""The record envelope: known answers, the documented construction, and every kind of damage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from kap_notes.vault import crypto
from kap_notes.vault.crypto import OpenError

VECTORS = json.loads((Path(__file__).parent.parent / "data" / "envelope_vectors.json").read_text())
RECORDS = VECTORS["records"]


def _seal(v: dict[str, Any]) -> bytes:
    return crypto.seal_record(
        bytes.fromhex(v["patient_key"]),
        vault=v["vault"],
        patient=v["patient"],
        record=v["record"],
        version=v["version"],
        epoch=v["epoch"],
        content=v["content"],
        salt=bytes.fromhex(v["salt"]),
        nonce=bytes.fromhex(v["nonce"]),
    )


def _open(v: dict[str, Any], blob: bytes, **where: Any) -> Any:
    target = {"vault": v["vault"], "patient": v["patient"], "record": v["record"], **where}
    return crypto.open_record(bytes.fromhex(v["patient_key"]), blob, **target)[1]


@pytest.mark.parametrize("vector", RECORDS, ids=lambda v: v["record"])
def test_known_answer_seal_and_open(vector: dict[str, Any]) -> None:
    # Given fixed key, salt and nonce, sealing reproduces the stored bytes exactly
    assert _seal(vector).hex() == vector["blob"]
    # and the stored bytes open to the content
    assert _open(vector, bytes.fromhex(vector["blob"])) == vector["content"]


@pytest.mark.parametrize("vector", RECORDS, ids=lambda v: v["record"])
def test_envelope_matches_documented_construction(vector: dict[str, Any]) -> None:
    """Rebuild the record from raw primitives, following DESIGN.md, independently of crypto.py."""
    blob = bytes.fromhex(vector["blob"])
    assert blob[:4] == b"KAP1"
    length = int.from_bytes(blob[4:8], "big")
    header_bytes, ciphertext = blob[8 : 8 + length], blob[8 + length :]
    header = json.loads(header_bytes)
    assert header["fmt"] == "kap-record-1"
    assert {header["vault"], header["patient"], header["record"]} == {
        vector["vault"],
        vector["patient"],
        vector["record"],
    }
    info = json.dumps(
        [
            "kap-notes record key",
            vector["vault"],
            vector["patient"],
            vector["record"],
            vector["version"],
        ],
        separators=(",", ":"),
    ).encode() + vector["epoch"].to_bytes(8, "big")
    okm = HKDF(hashes.SHA256(), 64, bytes.fromhex(vector["salt"]), info).derive(
        bytes.fromhex(vector["patient_key"])
    )
    assert header["commit"] == okm[32:].hex()
    padded = AESGCM(okm[:32]).decrypt(bytes.fromhex(vector["nonce"]), ciphertext, header_bytes)
    assert len(padded) % 256 == 0
    body = padded.rstrip(b"\x00")
    assert body.endswith(b"\x80")
    assert json.loads(body[:-1]) == vector["content"]


def test_argon2id_known_answers() -> None:
    for v in VECTORS["argon2id"]:
        params = crypto.KdfParams(memory_kib=v["m"], iterations=v["t"], lanes=v["p"])
        key = crypto.derive_kek(v["secret"].encode(), bytes.fromhex(v["salt"]), params)
        assert key.hex() == v["key"]


def test_every_single_bit_flip_is_rejected() -> None:
    vector = RECORDS[0]
    blob = bytes.fromhex(vector["blob"])
    for index in range(len(blob)):
        for bit in range(8):
            damaged = bytearray(blob)
            damaged[index] ^= 1 << bit
            with pytest.raises(OpenError):
                _open(vector, bytes(damaged))


def test_every_truncation_and_extension_is_rejected() -> None:
    vector = RECORDS[1]
    blob = bytes.fromhex(vector["blob"])
    for cut in range(len(blob)):
        with pytest.raises(OpenError):
            _open(vector, blob[:cut])
    for tail in (b"\x00", b"\x80" + b"\x00" * 15, blob[-16:]):
        with pytest.raises(OpenError):
            _open(vector, blob + tail)


@pytest.mark.parametrize(
    "where",
    [{"patient": "pt_other"}, {"record": "rec_other"}, {"vault": "vault_other"}, {"version": 2}],
    ids=["moved-to-another-patient", "relabelled", "other-vault", "replayed-version"],
)
def test_record_cannot_be_moved_relabelled_or_replayed(where: dict[str, Any]) -> None:
    vector = RECORDS[0]
    with pytest.raises(OpenError):
        _open(vector, bytes.fromhex(vector["blob"]), **where)


def test_wrong_key_and_every_failure_share_one_opaque_message() -> None:
    vector = RECORDS[0]
    blob = bytes.fromhex(vector["blob"])
    messages = set()
    for attempt in (
        lambda: crypto.open_record(
            b"\x01" * 32, blob, vault="vault_kat", patient="pt_kat", record="rec_kat"
        ),
        lambda: _open(vector, blob[:-1]),
        lambda: _open(vector, b"XXXX" + blob[4:]),
        lambda: _open(vector, blob, patient="pt_other"),
    ):
        with pytest.raises(OpenError) as info:
            attempt()
        messages.add(str(info.value))
    assert len(messages) == 1


def test_header_edit_with_recomputed_length_is_rejected() -> None:
    vector = RECORDS[0]
    blob = bytes.fromhex(vector["blob"])
    length = int.from_bytes(blob[4:8], "big")
    header = json.loads(blob[8 : 8 + length])
    header["epoch"] = 2
    edited = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    forged = b"KAP1" + len(edited).to_bytes(4, "big") + edited + blob[8 + length :]
    with pytest.raises(OpenError):
        _open(vector, forged)


def test_salts_and_nonces_never_repeat_over_many_writes() -> None:
    key = crypto.random_bytes(32)
    salts, nonces = set(), set()
    for i in range(2000):
        blob = crypto.seal_record(
            key, vault="v", patient="p", record="r", version=i + 1, epoch=1, content={"i": i}
        )
        header = crypto.read_record_header(blob)
        salts.add(header.salt)
        nonces.add(header.nonce)
    assert len(salts) == len(nonces) == 2000


@pytest.mark.parametrize("size", [0, 1, 254, 255, 256, 257, 1000])
def test_padding_fills_a_size_bucket_in_256_byte_steps(size: int) -> None:
    padded = crypto.pad(b"a" * size)
    assert len(padded) % 256 == 0
    assert len(padded) == crypto.padded_length(size) >= size + 1
    assert crypto.unpad(padded) == b"a" * size


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(
    content=st.dictionaries(st.text(max_size=10), json_values, max_size=6),
    version=st.integers(1, 10**6),
    epoch=st.integers(1, 10**6),
)
def test_round_trip_any_json(content: dict[str, Any], version: int, epoch: int) -> None:
    key = crypto.random_bytes(32)
    blob = crypto.seal_record(
        key, vault="v", patient="p", record="r", version=version, epoch=epoch, content=content
    )
    header, opened = crypto.open_record(
        key, blob, vault="v", patient="p", record="r", version=version
    )
    assert opened == content
    assert (header.version, header.epoch) == (version, epoch)
    # the size reveals only the padding bucket: header + 16-byte tag + padded body
    header_length = int.from_bytes(blob[4:8], "big")
    assert (len(blob) - 8 - header_length - 16) % 256 == 0


def test_hpke_wrap_is_bound_to_its_context() -> None:
    pair = crypto.KeyPair.generate()
    sealed = crypto.seal_to(pair.box_public, b"k" * 32, b"ctx-a")
    assert crypto.open_from(pair.box, sealed, b"ctx-a") == b"k" * 32
    with pytest.raises(OpenError):
        crypto.open_from(pair.box, sealed, b"ctx-b")
    with pytest.raises(OpenError):
        crypto.open_from(crypto.KeyPair.generate().box, sealed, b"ctx-a")


def test_signatures_verify_only_for_the_signed_message_and_key() -> None:
    pair = crypto.KeyPair.generate()
    signature = crypto.sign(pair.signing, b"note v1")
    assert crypto.verify(pair.signing_public, signature, b"note v1")
    assert not crypto.verify(pair.signing_public, signature, b"note v2")
    assert not crypto.verify(crypto.KeyPair.generate().signing_public, signature, b"note v1")
