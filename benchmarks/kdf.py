"""Argon2id at the vault's default cost: cryptography (OpenSSL) against argon2-cffi, side by side.

Run: .venv/bin/python benchmarks/kdf.py [--repeats N]   (medians; no asserts)

Every scenario runs in a fresh child process, so peak RSS is that scenario's own and a hung
derivation can be abandoned (the child is killed after a time limit):

- one derivation (m=256 MiB, t=3, p=4);
- two derivations started at once in two threads, raw (no gate): wall time until both return;
- two at once through ``crypto.derive_kek`` (the per-process gate of ``vault/kdf_gate.py``);
- peak RSS of each child.

It also checks that both libraries give the same bytes for the same parameters. The raw
cryptography primitive is ``crypto._argon2id`` (this script never imports ``cryptography``).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from argon2.low_level import Type, hash_secret_raw

from kap_notes.vault import crypto
from kap_notes.vault.crypto import DEFAULT_KDF, KdfParams
from kap_notes.vault.errors import UnlockBusy

SECRET, SALT = b"benchmark passphrase (synthetic)", bytes(range(16))
HANG_SECONDS = 30


def cffi(secret: bytes, salt: bytes, params: KdfParams) -> bytes:
    return hash_secret_raw(
        secret, salt, params.iterations, params.memory_kib, params.lanes, 32, Type.ID
    )


DERIVE: dict[str, Callable[[bytes, bytes, KdfParams], bytes]] = {
    "cryptography": crypto._argon2id,
    "argon2-cffi": cffi,
    "cryptography+gate": crypto.derive_kek,
}


# ------------------------------------------------------------------------------ child side
def child(lib: str, mode: str, repeats: int) -> dict[str, Any]:
    derive = DERIVE[lib]
    times: list[float] = []
    busy = 0
    for _ in range(repeats):
        start = time.perf_counter()
        if mode == "single":
            derive(SECRET, SALT, DEFAULT_KDF)
        else:
            outcomes: list[str] = []

            def one(outcomes: list[str] = outcomes) -> None:
                try:
                    derive(SECRET, SALT, DEFAULT_KDF)
                    outcomes.append("ok")
                except UnlockBusy:
                    outcomes.append("busy")

            threads = [threading.Thread(target=one) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            busy += outcomes.count("busy")
        times.append((time.perf_counter() - start) * 1000)
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"median_ms": statistics.median(times), "rss_mib": rss_mib, "busy": busy}


# ----------------------------------------------------------------------------- parent side
def run(lib: str, mode: str, repeats: int) -> dict[str, Any] | None:
    """One scenario in a fresh process; None if it did not return (hung)."""
    args = [sys.executable, __file__, "--child", lib, mode, str(repeats)]
    try:
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=HANG_SECONDS * repeats, check=True
        )
    except subprocess.TimeoutExpired:
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def cell(result: dict[str, Any] | None, key: str) -> str:
    if result is None:
        return f"hung (>{HANG_SECONDS} s)"
    value = result[key]
    text = f"{value:.0f} ms" if key == "median_ms" else f"{value:.0f} MiB"
    if key == "median_ms" and result.get("busy"):
        text += f" ({result['busy']} busy)"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", nargs=3, metavar=("LIB", "MODE", "N"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        lib, mode, n = options.child
        print(json.dumps(child(lib, mode, int(n))))
        return

    same = all(
        crypto._argon2id(SECRET, SALT, p) == cffi(SECRET, SALT, p)
        for p in (KdfParams(8 * 1024, 1, 1), KdfParams(16 * 1024, 3, 4), KdfParams(65536, 2, 1))
    )
    print(f"Argon2id {DEFAULT_KDF.describe()}; medians of {options.repeats} runs per cell")
    print(f"identical output, cryptography vs argon2-cffi: {'yes' if same else 'NO'}\n")
    results = {
        (lib, mode): run(
            lib, mode, 1 if (lib, mode) == ("cryptography", "pair") else options.repeats
        )
        for lib in ("cryptography", "argon2-cffi", "cryptography+gate")
        for mode in ("single", "pair")
    }
    libs = ("cryptography", "argon2-cffi", "cryptography+gate")
    rows = [
        ("one derivation", "single", "median_ms"),
        ("two at once, both returned", "pair", "median_ms"),
        ("peak RSS, one", "single", "rss_mib"),
        ("peak RSS, two at once", "pair", "rss_mib"),
    ]
    table = [("measurement", *libs)] + [
        (name, *(cell(results[(lib, mode)], key) for lib in libs)) for name, mode, key in rows
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for i, row in enumerate(table):
        print(
            "  ".join(
                c.ljust(w) if j == 0 else c.rjust(w)
                for j, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if i == 0:
            print("-" * (sum(widths) + 2 * (len(widths) - 1)))


if __name__ == "__main__":
    main()
