"""Unlock/lock cycles of the server's key holder with concurrent reads: open descriptors and RSS.

Run: .venv/bin/python benchmarks/lock_cycles.py [--cycles 2000] [--readers 3] [--dir /dev/shm]
(prints a table; no asserts). Synthetic data only, in a throwaway SQLite vault, weak test KDF.

Each cycle: unlock tess, list her patients (an audited read), wait until every reader thread has
read through this session (each thread opens its own database connection, as the Jupyter
server's executor threads do), lock. Issue 12 measured 269 open handles and +106 MiB after 2,000
cycles at 05b220b, still rising; a lock must close every thread's connection, so the descriptor
count after the last lock should equal the one before the first unlock.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from _timing import Row, table
from kap_notes.agent.keyholder import KeyHolder
from kap_notes.errors import VaultLocked
from kap_notes.model.people import Role
from kap_notes.vault import access
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.vault import Vault

PASSPHRASES = {"ada": "ada lock-cycles passphrase", "tess": "tess lock-cycles passphrase"}


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def build(path: Path) -> None:
    created = Vault.init(
        path,
        admin_name="ada",
        admin_passphrase=PASSPHRASES["ada"],
        kdf=FAST_KDF,
        kdf_floor=FAST_KDF,
    )
    access.add_user(created.admin, "tess", Role.THERAPIST, PASSPHRASES["tess"])
    tess = created.vault.unlock("tess", PASSPHRASES["tess"])
    for n in range(5):
        tess.create_patient({"kind": "patient", "name": f"Synthetic Cycle {n}"})
    created.vault.close()


def run(holder: KeyHolder, cycles: int, readers: int, report_every: int) -> list[Row]:
    stop = threading.Event()
    reads = [0] * readers

    def read(slot: int) -> None:
        while not stop.is_set():
            try:
                holder.run("clinic_settings", {})
                reads[slot] += 1
            except VaultLocked:
                pass
            stop.wait(0.002)

    threads = [threading.Thread(target=read, args=(n,), daemon=True) for n in range(readers)]
    for thread in threads:
        thread.start()
    rows = [Row("before the first unlock", f"{open_fds()} fds, {rss_mib():.1f} MiB", "", None)]
    fds0, rss0 = open_fds(), rss_mib()
    started = time.perf_counter()
    for n in range(1, cycles + 1):
        holder.unlock("tess", PASSPHRASES["tess"])
        holder.run("list_patients", {})
        seen = list(reads)
        deadline = time.monotonic() + 5
        while any(r == s for r, s in zip(reads, seen, strict=True)):
            if time.monotonic() > deadline:
                break
            time.sleep(0.001)
        holder.lock()
        if n % report_every == 0 or n == cycles:
            rate = n / (time.perf_counter() - started)
            print(f"  {n} cycles ({rate:.1f}/s): {open_fds()} fds, {rss_mib():.1f} MiB", flush=True)
            rows.append(
                Row(f"after {n} cycles", f"{open_fds()} fds, {rss_mib():.1f} MiB", "", None)
            )
    stop.set()
    for thread in threads:
        thread.join(10)
    fds1, rss1 = open_fds(), rss_mib()
    gained = fds1 - fds0
    rows.append(Row("open descriptors gained", f"{gained:+d}", "0 (± 2)", abs(gained) <= 2))
    rows.append(Row("RSS gained", f"{rss1 - rss0:+.1f} MiB", "flat", None))
    rows.append(Row("reads by the reader threads", str(sum(reads)), "", None))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where the throwaway vault goes")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="kap-lock-cycles-", dir=args.dir))
    try:
        build(root / "vault")
        holder = KeyHolder(str(root / "vault"), kdf_floor=FAST_KDF)
        print(f"{args.cycles} unlock/lock cycles, {args.readers} reader threads, vault in {root}")
        rows = run(holder, args.cycles, args.readers, max(1, args.cycles // 4))
        print(table(rows))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
