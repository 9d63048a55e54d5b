"""Regenerate the record known-answer vectors in envelope_vectors.json.

Run: .venv/bin/python tests/data/make_envelope_vectors.py   (then review the diff)

Only ``records[*].blob`` is rewritten: each vector's inputs (key, ids, content, salt, nonce) are
sealed again with the current :func:`kap_notes.vault.crypto.seal_record`. Run it when the
envelope deliberately changes — as when padding moved from 256-byte multiples to size buckets —
and say why in the commit.

``legacy_padding_records`` are history, never regenerated: blobs sealed by the release that
padded to 256-byte multiples (taken from ``records`` the first time this script ran after that
change), kept so the tests prove such records still open. ``argon2id`` is left as it is.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from kap_notes.vault.crypto import seal_record

PATH = Path(__file__).with_name("envelope_vectors.json")
LEGACY_NOTE = (
    "Sealed by kap-notes before size buckets (plaintext padded to 256-byte multiples, "
    "commit 05b220b). History: never regenerate; these must keep opening."
)


def regenerate(vectors: dict[str, object]) -> dict[str, object]:
    """The vectors with every record blob sealed again; legacy blobs kept (or taken once)."""
    records = vectors["records"]
    assert isinstance(records, list)
    out: dict[str, object] = {}
    for key, value in vectors.items():
        out[key] = value
        if key == "records":
            out["legacy_padding_records"] = vectors.get(
                "legacy_padding_records",
                {"_comment": LEGACY_NOTE, "records": copy.deepcopy(records)},
            )
    for vector in records:
        vector["blob"] = seal_record(
            bytes.fromhex(vector["patient_key"]),
            vault=vector["vault"],
            patient=vector["patient"],
            record=vector["record"],
            version=vector["version"],
            epoch=vector["epoch"],
            content=vector["content"],
            salt=bytes.fromhex(vector["salt"]),
            nonce=bytes.fromhex(vector["nonce"]),
        ).hex()
    return out


def main() -> None:
    vectors = json.loads(PATH.read_text(encoding="utf-8"))
    PATH.write_text(json.dumps(regenerate(vectors), indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
