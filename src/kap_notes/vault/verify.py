"""``audit verify``: replay the whole signed log from the genesis entry, name the first entry its
signer was not authorised for, then hold every table against what the log says.

The Ed25519 checks, nearly all of the cost, run ahead in a thread pool (pyca cryptography
releases the GIL while it verifies): each entry is checked against the signing key its actor
was added with. The replay then stays serial and decides everything — the key the policy holds
for the actor at that entry, whether they were active and authorised — and it trusts a
pre-check only when it was made with exactly that key; any other entry is verified again in
line. So the parallel verify reports what the serial one does, entry for entry. The replay
starts once every check is done: run alongside them, its Python code held the GIL the checking
threads wait for between signatures, and the whole ran slower on 2 cores.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kap_notes.vault import crypto, trust
from kap_notes.vault.audit import VerifyReport, check_checkpoints, verify_legacy
from kap_notes.vault.policy import Policy, Unauthorised
from kap_notes.vault.store import AuditRow, Store

LEGACY_FORMAT = "kap-vault-1"
#: Entries per task handed to a worker thread.
CHUNK = 4096


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def verify_vault(
    store: Store,
    vault_id: str,
    *,
    checkpoints: Iterable[Mapping[str, Any]] = (),
    workers: int | None = None,
) -> VerifyReport:
    """Everything ``audit verify`` checks, in one consistent snapshot of the store; signatures
    are checked by ``workers`` threads (1: in line, one after another)."""
    workers = default_workers() if workers is None else max(1, workers)
    with store.snapshot():
        if store.get_meta("format") == LEGACY_FORMAT:
            return verify_legacy(store, vault_id, checkpoints)
        report = VerifyReport()
        rows = list(store.audit_rows())
        report.entries = len(rows)
        policy = Policy(vault_id) if workers == 1 else PrecheckedPolicy(vault_id, rows, workers)
        try:
            policy = trust.from_genesis(store, vault_id, rows=rows, policy=policy)
        except Unauthorised as exc:
            report.problems.append(str(exc))
            return report
        heads = {row.seq: row.hash for row in rows}
        keys = {uid: bytes.fromhex(u.signing) for uid, u in policy.users.items()}
        report.problems.extend(check_checkpoints(checkpoints, vault_id, heads, keys))
        report.problems.extend(trust.table_problems(store, policy))
        report.records = len(policy.records)
        return report


def added_keys(rows: Iterable[AuditRow]) -> dict[str, bytes]:
    """user id -> the signing key its first ``user_add`` entry names (unverified: a guess the
    replay confirms or overrules)."""
    keys: dict[str, bytes] = {}
    for row in rows:
        if row.action != "user_add" or not row.record or row.record in keys:
            continue
        try:
            keys[row.record] = bytes.fromhex(json.loads(row.entry)["data"]["signing"])
        except (KeyError, TypeError, ValueError):
            continue
    return keys


def precheck(rows: Sequence[AuditRow], workers: int) -> dict[int, bytes]:
    """seq -> the key whose signature over the entry's hash verified, for every entry whose
    actor's added key signed it (checked in ``workers`` threads)."""
    keys = added_keys(rows)
    checks = {actor: crypto.verifier(key) for actor, key in keys.items()}
    jobs = [row for row in rows if row.actor in keys]

    def check(lo: int) -> list[tuple[int, bytes]]:
        return [
            (row.seq, keys[row.actor])
            for row in jobs[lo : lo + CHUNK]
            if checks[row.actor](row.signature, row.hash)
        ]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return {
            seq: key for part in pool.map(check, range(0, len(jobs), CHUNK)) for seq, key in part
        }


class PrecheckedPolicy(Policy):
    """A policy replayed with its entries' signatures checked ahead (see the module)."""

    def __init__(self, vault_id: str, rows: Sequence[AuditRow], workers: int) -> None:
        super().__init__(vault_id)
        self._verified = precheck(rows, workers)

    def signature_ok(self, key: bytes, row: AuditRow) -> bool:
        if self._verified.get(row.seq) == key:
            return True
        return crypto.verify(key, row.signature, row.hash)
