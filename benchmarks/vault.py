"""Vault benchmark: the cost of encryption at rest, measured side by side in one run.

Run: .venv/bin/python benchmarks/vault.py   (medians over repeated trials; prints a table with
targets; no asserts). Synthetic data only; every vault lives under a temporary directory.

(a) a durable encrypted write (``put_record``: record + signed audit entry, one transaction)
    against a plaintext SQLite insert of the same JSON with the same durability (WAL,
    synchronous=FULL, one transaction per insert), interleaved so both see the same machine;
(b) reading and decrypting all 100 notes of one patient (``read_patient``);
(c) opening a 10,000-note vault (100 patients x 100 notes), unlocking it (which checks every
    stored record against the audit chain) and listing patients — with the KDF's own time
    measured separately and subtracted, so the figure is about the vault;
(d) unlock at the default KDF (Argon2id m=256 MiB, t=3, p=4);
(e) audit chain verification, per entry.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _timing import Row, elapsed_ms, median_ms, table
from kap_notes.model.people import Role
from kap_notes.vault import access, audit, crypto
from kap_notes.vault.crypto import DEFAULT_KDF, FAST_KDF, KdfParams
from kap_notes.vault.session import Session
from kap_notes.vault.vault import Vault

WRITES = 300
READS = 30
OPENS = 7
DEFAULT_UNLOCKS = 5
PATIENTS, NOTES = 100, 100
PASS = "benchmark passphrase"  # noqa: S105 - a synthetic vault, deleted after the run


def note(i: int) -> dict[str, Any]:
    """A synthetic integration note of realistic size (~1.5 KB of JSON)."""
    return {
        "kind": "note",
        "form": "integration",
        "template": {"url": "urn:kap-notes:form:integration", "version": "1.0.0"},
        "status": "draft",
        "session_date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "answers": {
            "feelings": "Synthetic: calmer, some sadness, curiosity about the week ahead. " * 4,
            "insights": "Synthetic: noticed the pattern of over-committing at work. " * 4,
            "patterns": "Synthetic: avoidance when tired; reaching out helped. " * 3,
            "goal": "Walk three times a week",
            "phq9": {f"phq9_{k}": str(k % 3) for k in range(1, 10)},
        },
        "n": i,
    }


def new_vault(path: Path, kdf: KdfParams = FAST_KDF) -> tuple[Vault, Session]:
    created = Vault.init(path, admin_name="ada", admin_passphrase=PASS, kdf=kdf, kdf_floor=kdf)
    access.add_user(created.admin, "tess", Role.THERAPIST, PASS)
    created.vault.close()
    vault = Vault.open(path, kdf_floor=kdf)
    return vault, vault.unlock("tess", PASS)


def bench_write(root: Path) -> tuple[float, float]:
    """(a) medians in ms: encrypted put_record vs a plaintext durable insert."""
    _, tess = new_vault(root / "write")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Bench"})
    plain = sqlite3.connect(root / "plain.sqlite", isolation_level=None)
    plain.execute("PRAGMA journal_mode=WAL")
    plain.execute("PRAGMA synchronous=FULL")
    plain.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, patient TEXT, body BLOB)")

    def plain_insert(body: bytes) -> None:
        plain.execute("BEGIN IMMEDIATE")
        plain.execute("INSERT INTO notes (patient, body) VALUES (?, ?)", (patient, body))
        plain.execute("COMMIT")

    encrypted, plaintext = [], []
    for i in range(WRITES):  # interleaved: both see the same disk and CPU state
        content = note(i)
        body = crypto.canonical_json(content)
        encrypted.append(elapsed_ms(lambda c=content: tess.put_record(patient, c)))
        plaintext.append(elapsed_ms(lambda b=body: plain_insert(b)))
    plain.close()
    tess.vault.close()
    return statistics.median(encrypted), statistics.median(plaintext)


def bench_read(root: Path) -> float:
    """(b) median ms to read and decrypt one patient's 100 notes (a fresh session each time,
    so patient keys are unwrapped too)."""
    vault, tess = new_vault(root / "read")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Reader"})
    for i in range(NOTES):
        tess.put_record(patient, note(i))
    sessions = [vault.unlock("tess", PASS) for _ in range(READS)]
    assert len(sessions[0].read_patient(patient)) == NOTES + 1
    result = statistics.median(elapsed_ms(lambda s=s: s.read_patient(patient)) for s in sessions)
    vault.close()
    return result


def build_big_vault(path: Path) -> None:
    _, tess = new_vault(path)
    for p in range(PATIENTS):
        patient = tess.create_patient({"kind": "patient", "name": f"Synthetic {p:03d}"})
        for i in range(NOTES):
            tess.put_record(patient, note(i))
    tess.vault.close()


def bench_open(path: Path) -> tuple[float, float]:
    """(c) median ms of open + unlock + list_patients on the big vault, and of the KDF alone."""

    def open_unlock_list() -> None:
        vault = Vault.open(path, kdf_floor=FAST_KDF)
        assert len(vault.unlock("tess", PASS).list_patients()) == PATIENTS
        vault.close()

    salt = crypto.random_bytes(16)
    kdf = median_ms(lambda: crypto.derive_kek(PASS.encode(), salt, FAST_KDF), OPENS)
    return median_ms(open_unlock_list, OPENS), kdf


def bench_verify(path: Path) -> tuple[float, int]:
    """(e) median µs per audit entry of verify_chain on the big vault."""
    vault = Vault.open(path, kdf_floor=FAST_KDF)
    report = audit.verify_chain(vault.store, vault.vault_id)
    assert report.ok, report.problems
    ms = median_ms(lambda: audit.verify_chain(vault.store, vault.vault_id), 3)
    vault.close()
    return ms * 1000 / report.entries, report.entries


def bench_default_unlock(root: Path) -> float:
    """(d) median ms to unlock at the default KDF."""
    path = root / "default-kdf"
    Vault.init(path, admin_name="ada", admin_passphrase=PASS, kdf=DEFAULT_KDF).vault.close()
    vault = Vault.open(path)
    ms = median_ms(lambda: vault.unlock("ada", PASS), DEFAULT_UNLOCKS)
    vault.close()
    return ms


def main() -> None:
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="kap-bench-"))
    try:
        enc, plain = bench_write(root)
        read = bench_read(root)
        big = root / "big"
        build_started = time.perf_counter()
        build_big_vault(big)
        build_s = time.perf_counter() - build_started
        size_mb = sum(f.stat().st_size for f in big.iterdir()) / 1e6
        opened, kdf = bench_open(big)
        per_entry, entries = bench_verify(big)
        default_unlock = bench_default_unlock(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    ratio = enc / plain
    vault_only = opened - kdf
    rows = [
        Row("(a) encrypted durable write (put_record)", f"{enc:.3f} ms", "", None),
        Row("(a) plaintext durable insert, same JSON", f"{plain:.3f} ms", "", None),
        Row("(a) encrypted / plaintext", f"{ratio:.2f}x", "<= 1.5x", ratio <= 1.5),
        Row(f"(b) read_patient, {NOTES} notes", f"{read:.1f} ms", "<= 50 ms", read <= 50),
        Row(
            f"(c) open+unlock+list, {PATIENTS * NOTES:,} notes, minus KDF",
            f"{vault_only:.1f} ms",
            "<= 300 ms",
            vault_only <= 300,
        ),
        Row("(c)   of which KDF (FAST_KDF, excluded)", f"{kdf:.1f} ms", "", None),
        Row(
            "(d) unlock at default KDF (m=256MiB,t=3,p=4)",
            f"{default_unlock:.0f} ms",
            "info (suggest 250-3000 ms)",
            None,
        ),
        Row(f"(e) verify_chain per entry ({entries:,} entries)", f"{per_entry:.1f} us", "", None),
    ]
    print(table(rows))
    print(
        f"\nwrites n={WRITES} interleaved; reads n={READS}; opens n={OPENS}; default-KDF unlocks "
        f"n={DEFAULT_UNLOCKS}; big vault built in {build_s:.1f} s ({size_mb:.1f} MB); "
        f"cpus={os.cpu_count()}; total {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
