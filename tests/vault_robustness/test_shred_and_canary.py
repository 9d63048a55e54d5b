"""Nothing readable is left on disk: shredded patients leave no bytes behind, and PHI typed
through the library or the CLI never reaches any file of the vault (the SQLite directory, or the
PostgreSQL database's files and the server's write-ahead log)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from kap_notes.service import lifecycle, patients
from kap_notes.vault import access, audit
from kap_notes.vault.errors import UnknownPatient, UnknownRecord
from tests.postgres.harness import is_postgres

from ._helpers import query, stored_files
from .conftest import PASSPHRASES, Clinic

CHUNK = 24


def _files(directory: Path) -> dict[str, bytes]:
    """Every file under the vault directory (db, -wal, -shm, any journal), as raw bytes."""
    found = {str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*")}
    return {name: data for name, data in found.items() if not Path(directory, name).is_dir()}


def _chunks(data: bytes) -> list[bytes]:
    return [data[i : i + CHUNK] for i in range(0, len(data) - CHUNK + 1, CHUNK)]


def _ciphertext(blob: bytes) -> bytes:
    """The random-looking part of a record blob (after its plaintext, id-bearing header)."""
    header_len = int.from_bytes(blob[4:8], "big")
    return blob[8 + header_len :]


def _leaks(files: dict[str, bytes], secrets: list[bytes]) -> list[str]:
    return [
        f"{name}: {len(piece)} secret bytes at {data.find(piece)}"
        for secret in secrets
        for piece in [secret, *_chunks(secret)]
        for name, data in files.items()
        if piece in data
    ]


@pytest.mark.slow
def test_shred_leaves_no_wraps_or_blobs_on_disk(clinic: Clinic) -> None:
    # Given: a patient with several record versions, two epochs and wraps for tess, theo and
    # the break-glass key, next to a patient who stays.
    tess = clinic.unlock("tess")
    doomed = tess.create_patient({"kind": "patient", "name": "Synthetic I"})
    kept = tess.create_patient({"kind": "patient", "name": "Synthetic J"})
    access.grant(tess, doomed, "theo")
    rid, _ = tess.put_record(doomed, {"kind": "note", "text": "first"})
    tess.put_record(doomed, {"kind": "note", "text": "second"}, record_id=rid, expected_version=1)
    access.rotate(tess, doomed)
    for n in range(20):
        tess.put_record(doomed, {"kind": "note", "n": n, "text": "x" * 600})
    kept_rid, _ = tess.put_record(kept, {"kind": "note", "text": "stays"})
    wraps = [
        bytes(w)
        for (w,) in query(
            clinic.location, "SELECT sealed FROM wraps WHERE patient_id = ?", (doomed,)
        )
    ]
    blobs = [
        bytes(b)
        for (b,) in query(
            clinic.location,
            "SELECT v.blob FROM record_versions v JOIN records r USING (record_id) "
            "WHERE r.patient_id = ?",
            (doomed,),
        )
    ]
    assert len(wraps) == 6  # tess, theo, break-glass x 2 epochs
    assert len(blobs) == 1 + 2 + 20
    secrets = wraps + [_ciphertext(b) for b in blobs]
    # PostgreSQL: the database's files; its WAL keeps the bytes until the segments are recycled
    # (a documented limit, see docs/deploy.md), so only the relation files are checked there.
    assert _leaks(stored_files(clinic.location, wal=False), secrets), (
        "control: the bytes are on disk before shredding"
    )

    # When: an admin shreds the patient.
    access.shred(clinic.admin, doomed)

    # Then: no wrap, no blob, not even a 24-byte fragment of one, is in any vault file.
    files = stored_files(clinic.location, wal=False)
    assert "vault.sqlite" in files or is_postgres(clinic.location)
    assert _leaks(files, secrets) == []

    # And: the patient is gone, the other one intact, and the chain (with its shred entry)
    # still verifies.
    with pytest.raises(UnknownPatient):
        tess.read_patient(doomed)
    with pytest.raises(UnknownRecord):
        tess.get_record(rid)
    assert query(
        clinic.location, "SELECT COUNT(*) FROM records WHERE patient_id = ?", (doomed,)
    ) == [(0,)]
    assert tess.get_record(kept_rid).content == {"kind": "note", "text": "stays"}
    assert {r.record_id for r in clinic.unlock("tess").read_patient(kept)} == {kept, kept_rid}
    report = audit.verify_chain(tess.store, tess.vault.vault_id)
    assert report.ok, report.problems
    shreds = query(clinic.location, "SELECT patient FROM audit WHERE action = 'shred'")
    assert shreds == [(doomed,)]


# ----------------------------------------------------------------------------- canary


def _encodings(canary: str) -> dict[str, bytes]:
    raw = canary.encode()
    needles = {
        "utf-8": raw,
        "utf-16-le": canary.encode("utf-16-le"),
        "utf-16-be": canary.encode("utf-16-be"),
        "hex": raw.hex().encode(),
        "HEX": raw.hex().upper().encode(),
    }
    for k in range(3):
        for name, encode in (("b64", base64.b64encode), ("b64url", base64.urlsafe_b64encode)):
            text = encode(b"\0" * k + raw)
            start = 4 * ((k + 2) // 3)  # drop the group that holds the prefix
            end = len(text) - (4 if (k + len(raw)) % 3 else 0)  # and the padded last group
            needles[f"{name}+{k}"] = text[start:end]
    return needles


def _find(directory: Path, canary: str) -> list[str]:
    return _find_in(_files(directory), canary)


def _find_in(files: dict[str, bytes], canary: str) -> list[str]:
    needles = {enc: (needle, needle.lower()) for enc, needle in _encodings(canary).items()}
    found = []
    for name, data in files.items():
        lowered = data.lower()  # once per file: PostgreSQL's WAL is large
        found += [
            f"{name} as {enc}"
            for enc, (needle, low) in needles.items()
            if needle in data or low in lowered
        ]
    return found


def test_canary_finder_finds_every_encoding(tmp_path: Path) -> None:
    canary = f"CANARY-{uuid.uuid4()}"
    for prefix in (b"", b"a", b"ab"):
        for i, data in enumerate(
            [
                prefix + base64.b64encode(b"xy" + prefix + canary.encode()),
                prefix + canary.encode("utf-16-be"),
                b'{"n": "' + canary.encode().hex().encode() + b'"}',
            ]
        ):
            (tmp_path / f"control-{len(prefix)}-{i}").write_bytes(data)
            assert _find(tmp_path, canary), data
            (tmp_path / f"control-{len(prefix)}-{i}").unlink()
    assert _find(tmp_path, canary) == []


def _cli(vault: str, user: str, *args: str, **env: str) -> Any:
    script = Path(sys.executable).with_name("kap-notes")
    done = subprocess.run(
        [str(script), "--vault", str(vault), "--user", user, "--json", *args],
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "KAP_NOTES_FAST_KDF": "1",
            "KAP_NOTES_PASSPHRASE": PASSPHRASES[user],
            **env,
        },
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
def test_canary_typed_through_library_and_cli_reaches_no_file(
    clinic: Clinic, tmp_path: Path
) -> None:
    canary = f"CANARY-{uuid.uuid4()}"
    inputs = tmp_path / "inputs"  # outside the vault directory
    inputs.mkdir()

    # Library: a patient named with the canary, a note and a raw record carrying it.
    tess = clinic.unlock("tess")
    lib_patient = patients.add_patient(
        tess, {"name": f"Synthetic {canary}", "date_of_birth": "1981-02-03", "contact": canary}
    )
    saved = lifecycle.save_draft(
        tess, lib_patient, "integration", {"feelings": f"felt {canary}", "goal": canary}
    )
    saved = lifecycle.save_draft(
        tess,
        lib_patient,
        "integration",
        {"feelings": f"revised {canary}", "insights": canary},
        note_id=saved.ref.note_id,
        expected_version=saved.ref.version,
    )
    tess.put_record(lib_patient, {"kind": "note", "free_text": canary * 3})
    stored = json.dumps([r.content for r in tess.read_patient(lib_patient)])
    assert stored.count(canary) == 7  # name, contact, 2 answers, 3 in the raw record

    # CLI: a patient and a note with the canary, updated, read back, plus break-glass.
    (inputs / "patient.json").write_text(
        json.dumps({"name": f"Synthetic {canary}", "date_of_birth": "1979-04-05", "sex": "other"})
    )
    cli_patient = _cli(
        clinic.location, "theo", "patient", "add", "--json", str(inputs / "patient.json")
    )
    (inputs / "note.json").write_text(
        json.dumps({"form": "integration", "answers": {"insights": f"said {canary}"}})
    )
    put = _cli(
        clinic.location,
        "theo",
        "note",
        "put",
        cli_patient["patient_id"],
        "--json",
        str(inputs / "note.json"),
    )
    put = _cli(
        clinic.location,
        "theo",
        "note",
        "put",
        cli_patient["patient_id"],
        "--json",
        str(inputs / "note.json"),
        "--note",
        put["note_id"],
        "--version",
        str(put["version"]),
    )
    shown = _cli(clinic.location, "theo", "note", "get", put["note_id"])
    assert canary in json.dumps(shown)  # the canary really went in and comes back out
    names = [p["name"] for p in _cli(clinic.location, "theo", "patient", "list")]
    assert names == [f"Synthetic {canary}"]
    _cli(
        clinic.location,
        "ada",
        "break-glass",
        cli_patient["patient_id"],
        "--reason",
        f"emergency involving {canary}",
        KAP_NOTES_BREAK_GLASS_CODE=clinic.break_glass_code,
    )
    assert _find(inputs, canary)  # control: the input files do hold it

    # Then: no file in the vault directory holds the canary in any encoding — while
    # connections are open (WAL present) and after every connection closed.
    files = stored_files(clinic.location)
    assert is_postgres(clinic.location) or "vault.sqlite-wal" in files
    assert _find_in(files, canary) == []
    clinic.close()
    tess.vault.close()
    assert _find_in(stored_files(clinic.location), canary) == []
