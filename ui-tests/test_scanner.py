"""Positive control for the canary scanner: each encoding it claims to find, it finds."""

from __future__ import annotations

import base64
import gzip
import uuid
from pathlib import Path

import pytest
from canary import encodings, scan

CANARY = f"CANARY{uuid.uuid4().hex}"
RAW = CANARY.encode()
PADDING = b'\x00junk before {"k": "'


@pytest.mark.parametrize(
    ("expected", "payload"),
    [
        ("raw", PADDING + RAW + b'"}'),
        ("utf-16-le", PADDING + CANARY.encode("utf-16-le")),
        ("utf-16-be", PADDING + CANARY.encode("utf-16-be")),
        ("hex", PADDING + RAW.hex().encode()),
        ("HEX", PADDING + RAW.hex().upper().encode()),
        ("base64@0", base64.b64encode(b"abc" + RAW + b"tail")),
        ("base64@1", base64.b64encode(b"abcd" + RAW + b"tail")),
        ("base64@2", base64.b64encode(b"abcde" + RAW + b"tail")),
        ("base64url@1", base64.urlsafe_b64encode(b"\xfb\xff" * 8 + RAW + b"\xff")),
        ("gzip:raw", gzip.compress(b"some text " + RAW + b" more text")),
    ],
)
def test_scanner_finds_each_encoding(tmp_path: Path, expected: str, payload: bytes) -> None:
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    (nested / "leak.bin").write_bytes(payload)
    (tmp_path / "clean.txt").write_bytes(b"nothing to see " * 100)

    hits, files = scan(CANARY, [tmp_path])

    assert files == 2
    assert {h.path.name for h in hits} == {"leak.bin"}
    assert expected in {h.encoding for h in hits}


def test_scanner_ignores_other_canaries_and_fragments(tmp_path: Path) -> None:
    other = f"CANARY{uuid.uuid4().hex}"
    data = b"".join(encodings(other).values()) + RAW[:-1] + b" " + RAW[1:]
    (tmp_path / "other.bin").write_bytes(data)

    hits, files = scan(CANARY, [tmp_path])

    assert files == 1
    assert hits == []


def test_base64_needles_are_long_enough_to_mean_something() -> None:
    for name, needle in encodings(CANARY).items():
        assert len(needle) >= 32, name
