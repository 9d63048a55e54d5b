"""REST under load (issue 14 item 6): 16 clients on one unlocked JupyterLab, before and after.

A real ``jupyter lab`` on 127.0.0.1 (the ui-tests harness) with a throwaway demo vault (fast test
KDF), unlocked as tess. Each client thread has its own HTTP connection, its own patient and its own
draft, and for ``--seconds`` runs a clinician's mix: save_draft on its draft (half the calls),
get_note of that draft, patient_notes of its patient, my_day. Prints p50/p99 per operation and
operations per second. "before" is the same run with the server importing the kap_notes source of
``--before`` (a ``git archive`` copy on PYTHONPATH); "after" is this working tree; with
``--autosave`` a third run sends save_draft as the form's coalesced autosave (the draft's sealed
autosave buffer: no audit entry, no wait for the disk).

Run: .venv/bin/python benchmarks/rest_load.py [--before REV] [--seconds N] [--clients N]
[--after-only] [--autosave]
(prints figures from one run; no asserts)
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ui-tests"))

from labharness import LabServer, RunDirs

from _timing import Row, table
from kap_notes.service.demo import create_demo
from kap_notes.vault.crypto import FAST_KDF

ROOT = Path(__file__).resolve().parent.parent
#: The last commit with one operation at a time in the key holder.
BEFORE = "46faac3"
CLIENTS = 16
SECONDS = 20.0
P99_TARGET_MS = 250.0
#: The mix: (operation, weight).
MIX = (("save_draft", 50), ("get_note", 20), ("patient_notes", 20), ("my_day", 10))


@dataclass(frozen=True)
class Dirs(RunDirs):
    """:class:`RunDirs` whose server imports kap_notes from ``pythonpath`` (empty: installed)."""

    pythonpath: str = ""

    def env(self, **extra: str) -> dict[str, str]:
        env = super().env(**extra)
        if self.pythonpath:
            env["PYTHONPATH"] = self.pythonpath
        return env


def answers(n: int) -> dict[str, Any]:
    return {
        "session_datetime": "2026-03-02 10:00",
        "route": "im",
        "dose_mg": 50 + n % 7,
        "start_time": "2026-03-02 10:05",
        "end_time": "2026-03-02 11:35",
        "vitals": [
            {"timepoint": "Before dosing", "systolic": 120, "diastolic": 80, "heart_rate": 70},
            {"timepoint": "30 min", "systolic": 131 + n % 5, "diastolic": 84, "heart_rate": 77},
        ],
        "experience": f"Synthetic load-test narrative {n}.",
    }


class Client(threading.Thread):
    """One clinician's browser tab: its own connection, patient and draft."""

    def __init__(
        self, lab: LabServer, index: int, patient: str, until: float, autosave: bool = False
    ) -> None:
        super().__init__(daemon=True)
        self.http = httpx.Client(
            base_url=lab.url, headers={"Authorization": f"token {lab.token}"}, timeout=120
        )
        self.rng = random.Random(index)
        self.patient, self.until = patient, until
        self.times: dict[str, list[float]] = {op: [] for op, _ in MIX}
        self.errors: list[str] = []
        self.autosave = {"autosave": True} if autosave else {}
        self.draft = self.call("save_draft", patient_id=patient, form="dosing", answers=answers(0))

    def call(self, op: str, **kwargs: Any) -> Any:
        response = self.http.post(f"/kap-notes/api/ops/{op}", json=kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{op}: HTTP {response.status_code} {response.text[:200]}")
        return response.json()

    def one(self, op: str, n: int) -> None:
        if op == "save_draft":
            self.draft = self.call(
                "save_draft",
                patient_id=self.patient,
                form="dosing",
                answers=answers(n),
                note_id=self.draft["note_id"],
                version=self.draft["version"],
                **self.autosave,
            )
        elif op == "get_note":
            self.call("get_note", note_id=self.draft["note_id"])
        elif op == "patient_notes":
            self.call("patient_notes", patient_id=self.patient)
        else:
            self.call("my_day")

    def run(self) -> None:
        ops, weights = zip(*MIX, strict=True)
        n = 0
        try:
            while time.monotonic() < self.until:
                n += 1
                op = self.rng.choices(ops, weights)[0]
                began = time.perf_counter()
                self.one(op, n)
                self.times[op].append((time.perf_counter() - began) * 1000)
        except Exception as exc:  # reported, never hidden
            self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            self.http.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def load(pythonpath: str, clients: int, seconds: float, autosave: bool = False) -> dict[str, Any]:
    """One server, ``clients`` threads for ``seconds``: latencies per op, ops/s, errors."""
    base = RunDirs.create(prefix="kap-load-").base
    dirs = Dirs(base, pythonpath)
    lab = LabServer(dirs)
    try:
        create_demo(dirs.vault, kdf=FAST_KDF, kdf_floor=FAST_KDF)
        lab.start()
        lab.unlock("tess")
        patients = [p["patient_id"] for p in lab.op("list_patients")]
        until = time.monotonic() + 3600  # set for real once every client has its draft
        threads = [
            Client(lab, i, patients[i % len(patients)], until, autosave) for i in range(clients)
        ]
        began = time.monotonic()
        for thread in threads:
            thread.until = began + seconds
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - began
    finally:
        lab.close()
        shutil.rmtree(base, ignore_errors=True)
    times = {op: [t for c in threads for t in c.times[op]] for op, _ in MIX}
    errors = [e for c in threads for e in c.errors]
    return {"times": times, "ops_s": sum(map(len, times.values())) / wall, "errors": errors}


def baseline(rev: str, folder: Path) -> str:
    """``src`` and ``templates`` of ``rev`` unpacked under ``folder``; its src path."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "src", "templates"],
        capture_output=True,
        check=True,
    )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    version = ROOT / "src" / "kap_notes" / "_version.py"  # written at install, not in git
    if version.exists():
        shutil.copy(version, folder / "src" / "kap_notes" / "_version.py")
    return str(folder / "src")


def rows(label: str, run: dict[str, Any], target: bool) -> list[Row]:
    found = []
    for op, values in run["times"].items():
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        met = p99 <= P99_TARGET_MS if target and op == "save_draft" else None
        aim = f"p99 <= {P99_TARGET_MS:g} ms" if met is not None else ""
        name = f"{label} {op} p50 / p99 ({len(values)} calls)"
        found.append(Row(name, f"{p50:.0f} / {p99:.0f} ms", aim, met))
    found.append(Row(f"{label} throughput", f"{run['ops_s']:.1f} ops/s", "", None))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="revision measured as 'before'")
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--after-only", action="store_true", help="skip the 'before' run")
    parser.add_argument(
        "--autosave",
        action="store_true",
        help="also run 'after' with the form's coalesced autosaves (save_draft autosave=true)",
    )
    args = parser.parse_args()
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.after_only:
            print(f"before ({args.before}) ...", flush=True)
            runs["before"] = load(baseline(args.before, Path(tmp)), args.clients, args.seconds)
    print("after (this tree) ...", flush=True)
    runs["after"] = load("", args.clients, args.seconds)
    if args.autosave:
        print("after, coalesced autosaves ...", flush=True)
        runs["autosave"] = load("", args.clients, args.seconds, autosave=True)
    lines: list[Row] = []
    for label, run in runs.items():
        lines += rows(label, run, target=label != "before")
    if "before" in runs:
        b, a = runs["before"]["times"]["save_draft"], runs["after"]["times"]["save_draft"]
        ratio = percentile(b, 0.99) / percentile(a, 0.99)
        lines.append(Row("save_draft p99 before / after", f"{ratio:.1f}x", "", None))
        speed = runs["after"]["ops_s"] / runs["before"]["ops_s"]
        lines.append(Row("throughput after / before", f"{speed:.2f}x", "", None))
    print(f"{args.clients} clients, {args.seconds:g} s each, mix {dict(MIX)}")
    print(table(lines))
    for label, run in runs.items():
        for error in run["errors"]:
            print(f"{label} client error: {error}")


if __name__ == "__main__":
    main()
