"""Helpers shared by the robustness tests: raw SQLite access (as an attacker would have) and
worker processes."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kap_notes.vault.sqlite import DB_NAME

WORKERS = Path(__file__).with_name("_workers.py")


@contextlib.contextmanager
def raw_db(vault_dir: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to the vault file, committing on exit."""
    conn = sqlite3.connect(vault_dir / DB_NAME, isolation_level=None, timeout=60)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.execute("COMMIT")
    finally:
        conn.close()


def query(vault_dir: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with raw_db(vault_dir) as conn:
        return conn.execute(sql, params).fetchall()


def audit_seqs(vault_dir: Path) -> list[int]:
    return [int(r[0]) for r in query(vault_dir, "SELECT seq FROM audit ORDER BY seq")]


def audit_actions(vault_dir: Path) -> list[str]:
    return [str(r[0]) for r in query(vault_dir, "SELECT action FROM audit ORDER BY seq")]


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
