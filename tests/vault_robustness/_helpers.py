"""Helpers shared by the robustness tests: raw database access (as an attacker would have, in
either backend: see tests/postgres/harness.py) and worker processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.postgres.harness import query, raw_db, stored_files

__all__ = [
    "audit_actions",
    "audit_seqs",
    "finish",
    "query",
    "raw_db",
    "start_together",
    "stored_files",
    "worker",
]

WORKERS = Path(__file__).with_name("_workers.py")


def audit_seqs(location: str) -> list[int]:
    return [int(r[0]) for r in query(location, "SELECT seq FROM audit ORDER BY seq")]


def audit_actions(location: str) -> list[str]:
    return [str(r[0]) for r in query(location, "SELECT action FROM audit ORDER BY seq")]


def worker(mode: str, cfg: dict[str, Any]) -> subprocess.Popen[str]:
    """Start ``_workers.py MODE CONFIG`` in a real, separate Python process."""
    return subprocess.Popen(
        [sys.executable, str(WORKERS), mode, json.dumps(cfg)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def start_together(
    procs: list[subprocess.Popen[str]], cfgs: list[dict[str, Any]], go: Path
) -> None:
    """Wait until every worker has unlocked and is waiting, then let them all go at once."""
    deadline = time.monotonic() + 60
    while not all(Path(c["ready"]).exists() for c in cfgs):
        for proc in procs:
            if proc.poll() is not None:
                finish(proc)
        assert time.monotonic() < deadline, "workers never became ready"
        time.sleep(0.005)
    go.touch()


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> str:
    """Wait for a worker; fail with its stderr if it did not exit cleanly."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"worker failed ({proc.returncode}):\n{err}"
    return out
