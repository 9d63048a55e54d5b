"""Unlock with the verified policy log at clinic scale, beside release 1's unlock check.

Run: .venv/bin/python benchmarks/unlock.py [--patients 1000] [--notes 30] [--repeats 5]
(prints a table; no asserts). Synthetic data only, in a throwaway SQLite vault; the weak test
KDF is used, so no figure below includes key derivation.

Rows (medians):
- release 1's unlock check — what ``Vault.unlock`` did at 05b220b: every stored record's blob
  read and hashed against its newest audited write (one GROUP BY over the audit log);
- unlock now — the user's sealed policy checkpoint opened, newer entries replayed (signature and
  authority of each), record heads compared with the log: the usual case;
- unlock from the genesis entry — no checkpoint (first unlock after an upgrade, or one deleted
  by a database writer): every entry's signature and authority checked;
- ``audit verify`` — full replay plus every table and every stored version against the log.
The issue's target: unlock of a ~31,000-record vault within 2× of release 1's.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _timing import Row, elapsed_ms, table
from kap_notes.model.people import Role
from kap_notes.vault import access, audit, crypto, trust
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.trust import CACHE_PREFIX
from kap_notes.vault.vault import Vault

PASSPHRASES = {n: f"{n} unlock benchmark passphrase" for n in ("ada", "tess", "sam")}


def build(path: Path, patients: int, notes: int) -> int:
    """A vault where tess (supervised by sam) has ``patients`` patients × ``notes`` records."""
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
    body = {"kind": "note", "text": "synthetic " * 40}
    started = time.perf_counter()
    for n in range(patients):
        patient = tess.create_patient({"kind": "patient", "name": f"Synthetic {n}"})
        for _ in range(notes - 1):
            tess.put_record(patient, body)
        if n % 100 == 99:
            rate = (n + 1) / (time.perf_counter() - started)
            print(f"  {n + 1} patients written ({rate:.1f}/s)", flush=True)
    return sum(1 for _ in created.vault.store.latest_records())


def release1_check(vault: Vault) -> None:
    """Release 1's unlock integrity check (its ``Vault._start_session`` loop)."""
    store = vault.store
    with store.snapshot():
        audited = store.latest_audited_writes()
        problems = [
            problem
            for row in store.latest_records()
            if (problem := audit.check_record(row, audited.get(row.record_id)))
        ]
    assert not problems


def new_checks(vault: Vault, key_pair: crypto.KeyPair, user_id: str) -> None:
    """What replaced release 1's check at unlock: the policy from the user's checkpoint (or
    from the genesis entry), then record heads against it."""
    with vault.store.snapshot():
        policy, _ = trust.load(vault.store, vault.vault_id, key_pair, user_id)
        assert not trust.head_problems(vault.store, policy)


def unlock(path: Path, *, drop_checkpoint: bool) -> float:
    vault = Vault.open(path, kdf_floor=FAST_KDF)
    if drop_checkpoint:
        with vault.store.transaction():
            vault.store.set_meta(CACHE_PREFIX + vault.store.get_user_by_name("sam").user_id, "")  # type: ignore[union-attr]
    ms = elapsed_ms(lambda: vault.unlock("sam", PASSPHRASES["sam"]))
    vault.close()
    return ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--notes", type=int, default=31, help="records per patient (profile incl.)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="kap-unlock-bench-"))
    try:
        path = root / "vault"
        print(f"building {args.patients} patients x {args.notes} records ...", flush=True)
        records = build(path, args.patients, args.notes)
        vault = Vault.open(path, kdf_floor=FAST_KDF)
        entries = sum(1 for _ in vault.store.audit_rows())
        unlock(path, drop_checkpoint=False)  # sam's first unlock writes his checkpoint
        old = statistics.median(
            elapsed_ms(lambda: release1_check(vault)) for _ in range(args.repeats)
        )
        sam = vault.unlock("sam", PASSPHRASES["sam"])
        checks = statistics.median(
            elapsed_ms(lambda: new_checks(vault, sam.key_pair, sam.user_id))
            for _ in range(args.repeats)
        )
        warm = statistics.median(unlock(path, drop_checkpoint=False) for _ in range(args.repeats))
        cold = statistics.median(unlock(path, drop_checkpoint=True) for _ in range(args.repeats))
        verify = statistics.median(
            elapsed_ms(lambda: audit.verify_chain(vault.store, vault.vault_id))
            for _ in range(max(1, args.repeats // 2))
        )
        sig_us = statistics.median(
            elapsed_ms(_verify_one)
            for _ in range(args.repeats)  # ms per 1000 = us per one
        )
        print(f"\n{records:,} records, {entries:,} audit entries (SQLite, no KDF)\n")
        print(
            table(
                [
                    Row("release 1's unlock check", f"{old:.0f} ms", "", None),
                    Row(
                        "its replacement: policy checkpoint + heads",
                        f"{checks:.0f} ms ({checks / old:.2f}x)",
                        "<= 2x release 1",
                        checks <= 2 * old,
                    ),
                    Row(
                        "whole unlock now (policy checkpoint)",
                        f"{warm:.0f} ms",
                        "",
                        None,
                    ),
                    Row(
                        "whole unlock from the genesis entry",
                        f"{cold:.0f} ms",
                        "",
                        None,
                    ),
                    Row("audit verify (full)", f"{verify:.0f} ms", "", None),
                    Row("Ed25519 verify, one signature", f"{sig_us:.0f} us", "", None),
                ]
            )
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _verify_one() -> None:
    pair = crypto.KeyPair.generate()
    message = b"x" * 32
    signature = crypto.sign(pair.signing, message)
    for _ in range(1000):
        crypto.verify(pair.signing_public, signature, message)


if __name__ == "__main__":
    main()
