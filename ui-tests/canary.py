"""Find a canary string in files, in the encodings a leak would take on disk.

Raw bytes, base64 (standard and URL-safe, at each of the 3 byte alignments), UTF-16-LE/BE and
hex (lower and upper case); gzip files are also scanned decompressed.
"""

from __future__ import annotations

import base64
import gzip
import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Base64 characters of the first group that depend on the bytes before the canary, by alignment.
_B64_SKIP = {0: 0, 1: 2, 2: 3}


def encodings(canary: str) -> dict[str, bytes]:
    """Every encoded form of ``canary`` worth looking for, by name."""
    raw = canary.encode("utf-8")
    forms = {
        "raw": raw,
        "utf-16-le": canary.encode("utf-16-le"),
        "utf-16-be": canary.encode("utf-16-be"),
        "hex": raw.hex().encode(),
        "HEX": raw.hex().upper().encode(),
    }
    for shift in (0, 1, 2):
        for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            encoded = encode(b"\0" * shift + raw)
            end = (shift + len(raw)) // 3 * 4  # drop the last group: it depends on what follows
            forms[f"{name}@{shift}"] = encoded[_B64_SKIP[shift] : end]
    return forms


@dataclass(frozen=True)
class Hit:
    path: Path
    encoding: str

    def __str__(self) -> str:
        return f"{self.path}: {self.encoding}"


def _payloads(data: bytes) -> Iterable[tuple[str, bytes]]:
    yield "", data
    if data[:2] == b"\x1f\x8b":
        try:
            yield "gzip:", gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            return


def scan_bytes(data: bytes, forms: dict[str, bytes]) -> list[str]:
    return [
        prefix + name
        for prefix, payload in _payloads(data)
        for name, needle in forms.items()
        if needle in payload
    ]


def files_under(roots: Iterable[Path]) -> list[Path]:
    """Every regular file under ``roots`` (symlinks are not followed)."""
    found: list[Path] = []
    for root in roots:
        for folder, _dirs, names in os.walk(root, followlinks=False):
            for name in names:
                path = Path(folder) / name
                if path.is_file() and not path.is_symlink():
                    found.append(path)
    return found


def scan(canary: str, roots: Iterable[Path]) -> tuple[list[Hit], int]:
    """Hits of ``canary`` in any encoding under ``roots``, and how many files were read."""
    forms = encodings(canary)
    files = files_under(roots)
    hits = [Hit(path, name) for path in files for name in scan_bytes(path.read_bytes(), forms)]
    return hits, len(files)
