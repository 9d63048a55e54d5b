"""Unlock, first patient list and ``audit verify`` against years of history (issue 14, item 4).

Run: .venv/bin/python benchmarks/history.py [--large] [--verify] [--sizes 10000,30000] [--reuse DIR]
(prints the scaling table; no asserts). Sizes are notes in the vault: 10k and 30k by default,
100k and 200k added by ``--large``. Synthetic data only, in throwaway SQLite vaults; the weak
test KDF is used, so no figure includes key derivation.

Data: therapist tess (supervised by sam) treats every patient; each patient has a profile and
29 notes written with ``Session.put_record`` (like benchmarks/scale.py), plus one read per
patient. While generating, the store's connection skips fsync (``synchronous=OFF``); every
measurement reopens the vault with the normal durable settings.

Columns (medians): unlock (the user's sealed checkpoint opened — policy without record facts,
a record index and a digest per patient space — newer entries replayed with their signatures and
authority, the writes since the checkpoint held against the store), the first patient list after
unlock (profiles from the user's sealed patient list while the log still names them current,
the others decrypted), opening one patient (its record facts rebuilt from its audit entries and
held against the checkpoint's digest, its records held against the log, then decrypted), and,
with ``--verify``, the full ``audit verify`` (every entry from genesis, every table, every
stored version): signatures checked in threads, beside the serial verify (``workers=1``).
Targets at 200,000 notes: unlock <= 300 ms, first patient list <= 150 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _timing import elapsed_ms
from kap_notes.model.people import Role
from kap_notes.vault import access, audit
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.vault import Vault
from kap_notes.vault.verify import default_workers

PASSPHRASES = {n: f"{n} history benchmark passphrase" for n in ("ada", "tess", "sam")}
NOTES_PER_PATIENT = 30
TARGET_UNLOCK_MS, TARGET_LIST_MS = 300.0, 150.0


def build(path: Path, notes: int) -> list[str]:
    """A vault holding ``notes`` records of tess's patients (30 per patient)."""
    created = Vault.init(
        path,
        admin_name="ada",
        admin_passphrase=PASSPHRASES["ada"],
        kdf=FAST_KDF,
        kdf_floor=FAST_KDF,
    )
    for name, role in (("tess", Role.THERAPIST), ("sam", Role.SUPERVISOR)):
        access.add_user(created.admin, name, role, PASSPHRASES[name])
    access.assign_supervisor(created.admin, "sam", "tess")
    tess = created.vault.unlock("tess", PASSPHRASES["tess"])
    access.accept_supervisor(tess, "sam")
    tess.store._db.execute("PRAGMA synchronous=OFF")  # type: ignore[attr-defined]
    body = {"kind": "note", "text": "synthetic " * 40}
    patients = []
    started = time.perf_counter()
    for n in range(max(1, notes // NOTES_PER_PATIENT)):
        patient = tess.create_patient({"kind": "patient", "name": f"Synthetic {n}"})
        patients.append(patient)
        for _ in range(NOTES_PER_PATIENT - 1):
            tess.put_record(patient, body)
        tess.read_patient(patient)
        if n % 500 == 499:
            rate = (n + 1) * NOTES_PER_PATIENT / (time.perf_counter() - started)
            print(f"  {(n + 1) * NOTES_PER_PATIENT:,} notes written ({rate:.0f}/s)", flush=True)
    created.vault.close()
    return patients


def measure(path: Path, patients: list[str], repeats: int, verify: bool) -> dict[str, float]:
    unlock_ms, list_ms, open_ms = [], [], []
    for i in range(repeats + 1):
        vault = Vault.open(path, kdf_floor=FAST_KDF)
        start = time.perf_counter()
        session = vault.unlock("tess", PASSPHRASES["tess"])
        unlocked = time.perf_counter()
        session.list_patients()
        listed = time.perf_counter()
        session.read_patient(patients[i % len(patients)])
        opened = time.perf_counter()
        if i:  # the first unlock after generation rewrites the user's checkpoint
            unlock_ms.append((unlocked - start) * 1000)
            list_ms.append((listed - unlocked) * 1000)
            open_ms.append((opened - listed) * 1000)
        vault.close()
    result = {
        "unlock": statistics.median(unlock_ms),
        "list": statistics.median(list_ms),
        "open": statistics.median(open_ms),
    }
    vault = Vault.open(path, kdf_floor=FAST_KDF)
    result["entries"] = sum(1 for _ in vault.store.audit_rows())
    result["mb"] = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
    if verify:
        for label, workers in (("verify", None), ("verify_serial", 1)):
            report = None

            def run(workers: int | None = workers) -> None:
                nonlocal report
                report = audit.verify_chain(vault.store, vault.vault_id, workers=workers)

            result[label] = elapsed_ms(run)
            if report is None or not report.ok:
                raise SystemExit(f"audit verify failed: {report}")
    vault.close()
    return result


def reused(root: Path, size: int, args: argparse.Namespace) -> tuple[list[str], dict[str, float]]:
    """Measure the vault kept in ``root`` (built there first if it is not complete)."""
    listing = root / "patients.json"
    if not listing.exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        print(f"building {size:,} notes in {root} (kept) ...", flush=True)
        listing.with_suffix(".tmp").write_text(json.dumps(build(root / "vault", size)))
        listing.with_suffix(".tmp").rename(listing)
    else:
        print(f"reusing {root}", flush=True)
    patients = json.loads(listing.read_text())
    return patients, measure(root / "vault", patients, args.repeats, args.verify)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,30000")
    parser.add_argument("--large", action="store_true", help="add 100,000 and 200,000 notes")
    parser.add_argument("--verify", action="store_true", help="time a full audit verify too")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--reuse",
        metavar="DIR",
        help="keep generated vaults in DIR/<notes> and reuse them on the next run",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] + ([100_000, 200_000] if args.large else [])
    lines = [
        "| notes | audit entries | unlock | first patient list | open one patient "
        "| audit verify | vault |",
        "|---|---|---|---|---|---|---|",
    ]
    for size in sizes:
        if args.reuse:
            patients, got = reused(Path(args.reuse) / str(size), size, args)
        else:
            root = Path(tempfile.mkdtemp(prefix="kap-history-bench-"))
            try:
                print(f"building {size:,} notes ...", flush=True)
                patients = build(root / "vault", size)
                got = measure(root / "vault", patients, args.repeats, args.verify)
            finally:
                shutil.rmtree(root, ignore_errors=True)
        verify = "-"
        if "verify" in got:
            verify = (
                f"{got['verify'] / 1000:.1f} s ({got['verify_serial'] / 1000:.1f} s serial, "
                f"{got['verify_serial'] / got['verify']:.2f}x with {default_workers()} threads)"
            )
        lines.append(
            f"| {len(patients) * NOTES_PER_PATIENT:,} | {got['entries']:,.0f} "
            f"| {got['unlock']:.0f} ms | {got['list']:.0f} ms | {got['open']:.1f} ms "
            f"| {verify} | {got['mb']:.0f} MB |"
        )
        print(lines[-1], flush=True)
    print()
    print("\n".join(lines))
    print(
        f"\ntargets at 200,000 notes: unlock <= {TARGET_UNLOCK_MS:.0f} ms, "
        f"first patient list <= {TARGET_LIST_MS:.0f} ms"
    )
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
