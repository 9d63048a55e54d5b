"""Worker processes for the robustness tests. Run as ``python _workers.py MODE CONFIG_JSON``.

Each worker is a real, separate process that opens and unlocks the vault itself.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.errors import StaleVersion
from kap_notes.vault.session import Session
from kap_notes.vault.vault import Vault


def _unlock(cfg: dict[str, Any]) -> Session:
    return Vault.open(cfg["vault"], kdf_floor=FAST_KDF).unlock(cfg["user"], cfg["passphrase"])


def _name(cfg: dict[str, Any]) -> str:
    """The worker's label (two workers may unlock as the same user)."""
    return str(cfg.get("name", cfg["user"]))


def _barrier(cfg: dict[str, Any]) -> None:
    """Say we are ready, then wait for the parent's go file so workers start together."""
    Path(cfg["ready"]).touch()
    go = Path(cfg["go"])
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.001)


def writes(cfg: dict[str, Any]) -> None:
    """``n`` writes: creates in the own patient, and every third write an optimistic update of
    a shared record, retried on StaleVersion. Each update names the version it replaced.

    Writers pause up to 2 ms between writes and up to 1 ms between reading a note and saving
    it (a clinician's think time, shrunk); without pauses SQLite's busy handler lets one
    process run alone while the other sleeps, and the writes hardly interleave."""
    session = _unlock(cfg)
    rng = random.Random(cfg["seed"])
    results, retries = [], 0
    _barrier(cfg)
    for i in range(cfg["n"]):
        tag = f"{_name(cfg)}-{i}"
        if i % 3 == 2:
            rid = rng.choice(cfg["shared"])
            while True:
                current = session.get_record(rid)
                time.sleep(rng.random() / 1000)
                content = {"kind": "note", "tag": tag, "replaces": current.content["tag"]}
                try:
                    _, version = session.put_record(
                        cfg["shared_patient"],
                        content,
                        record_id=rid,
                        expected_version=current.version,
                    )
                    break
                except StaleVersion:
                    retries += 1
            results.append({"rid": rid, "version": version, "tag": tag, "op": "update"})
        else:
            rid, version = session.put_record(cfg["own_patient"], {"kind": "note", "tag": tag})
            results.append({"rid": rid, "version": version, "tag": tag, "op": "create"})
        time.sleep(rng.random() / 500)
    Path(cfg["out"]).write_text(json.dumps({"results": results, "retries": retries}))


def race(cfg: dict[str, Any]) -> None:
    """Update every record in ``records`` at expected version 1, as fast as possible."""
    session = _unlock(cfg)
    _barrier(cfg)
    outcome = {}
    for rid in cfg["records"]:
        try:
            session.put_record(
                cfg["patient"],
                {"kind": "note", "by": _name(cfg)},
                record_id=rid,
                expected_version=1,
            )
            outcome[rid] = "won"
        except StaleVersion:
            outcome[rid] = "stale"
    Path(cfg["out"]).write_text(json.dumps(outcome))


def crash(cfg: dict[str, Any]) -> None:
    """Write forever (creates and updates of varied size), logging each step, until killed.

    ``begin`` is logged before ``put_record`` is called and ``commit RID VERSION`` after it
    returns, so a log ending in ``begin`` means the kill landed inside the write.
    """
    session = _unlock(cfg)
    patient = cfg["patient"]
    known = {rid: v for rid, v in session.store.record_ids(patient) if rid != patient}
    rng = random.Random(cfg["seed"])
    with open(cfg["log"], "a", buffering=1, encoding="utf-8") as log:
        log.write("ready\n")
        for i in range(10**9):
            content = {"kind": "note", "trial": cfg["trial"], "i": i}
            content["text"] = "lorem ipsum " * rng.randint(0, 400)
            if known and rng.random() < 0.5:
                rid = rng.choice(sorted(known))
                log.write(f"begin update {rid}\n")
                rid, version = session.put_record(
                    patient, content, record_id=rid, expected_version=known[rid]
                )
            else:
                log.write("begin create\n")
                rid, version = session.put_record(patient, content)
            log.write(f"commit {rid} {version}\n")
            known[rid] = version


def churn(cfg: dict[str, Any]) -> None:
    """Update one record ``n`` times."""
    session = _unlock(cfg)
    rid, version = cfg["record"], cfg["version"]
    _barrier(cfg)
    for _ in range(cfg["n"]):
        _, version = session.put_record(
            cfg["patient"], {"kind": "note", "v": version}, record_id=rid, expected_version=version
        )


MODES = {"writes": writes, "race": race, "crash": crash, "churn": churn}

if __name__ == "__main__":
    MODES[sys.argv[1]](json.loads(sys.argv[2]))
