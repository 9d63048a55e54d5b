"""The audit chain: append-only, hash-chained, each entry signed by its actor. Ids only, never PHI.

``h_i = SHA-256(DOMAIN || h_{i-1} || canonical_json(entry_i))`` and the actor signs ``h_i`` with
Ed25519. :func:`verify_chain` recomputes every link and signature, checks signed checkpoints (which
catch a truncated tail), and compares every stored record with the newest audited write of it
(which catches a single record rolled back to an older authentic version).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kap_notes.vault import crypto
from kap_notes.vault.store import AuditRow, RecordRow, Store

DOMAIN = b"kap-notes audit v1\x00"
CHECKPOINT_DOMAIN = b"kap-notes checkpoint v1\x00"

#: Actions that write a record version (checked against the store at unlock and in verify).
WRITE_ACTIONS = ("create", "update", "sign", "cosign", "return", "discard")

ACTIONS = frozenset(
    {
        "init",
        "unlock",
        "user_add",
        "passwd",
        "recover",
        "supervise",
        "patient_add",
        "create",
        "update",
        "sign",
        "cosign",
        "return",
        "read",
        "export",
        "grant",
        "grant_request",
        "revoke",
        "rotate",
        "shred",
        "break_glass",
        "supervise_accept",
        "grant_deny",
        "discard",
        "prune",
        "policy_snapshot",
        "settings",
    }
)
#: Every action the chain records (above).


def utc_now() -> str:
    """Current UTC time, ISO 8601 with microseconds."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def chain_hash(prev: bytes, entry: bytes) -> bytes:
    """One link of the chain."""
    return crypto.sha256(DOMAIN + prev + entry)


@dataclass(frozen=True)
class AuditEvent:
    """What happened, before it gets its place in the chain."""

    actor: str
    action: str
    patient: str | None = None
    record: str | None = None
    version: int | None = None
    blob_sha256: str | None = None
    #: Policy facts of the act (who was granted, which keys, which wraps): signed with the entry.
    data: Mapping[str, Any] | None = None

    def builder(self, sign: Callable[[bytes], bytes], ts: str | None = None) -> Any:
        """A function the store calls with (seq, prev) inside its transaction."""
        if self.action not in ACTIONS:
            raise ValueError(f"unknown audit action {self.action!r}")
        stamp = ts or utc_now()

        def build(seq: int, prev: bytes) -> AuditRow:
            fields: dict[str, Any] = {
                "seq": seq,
                "prev": prev.hex(),
                "ts": stamp,
                "actor": self.actor,
                "action": self.action,
                "patient": self.patient,
                "record": self.record,
                "version": self.version,
                "blob_sha256": self.blob_sha256,
            }
            if self.data is not None:
                fields["data"] = dict(self.data)
            entry = crypto.canonical_json(fields)
            digest = chain_hash(prev, entry)
            return AuditRow(
                seq,
                entry,
                digest,
                sign(digest),
                self.actor,
                self.action,
                self.patient,
                self.record,
                stamp,
            )

        return build


def key_fingerprint(box_public: bytes, signing_public: bytes) -> str:
    """What the chain records about a user's public keys when the user is added."""
    return crypto.sha256(box_public + signing_public).hex()


def audited_fingerprint(store: Store, action: str, record: str) -> str | None:
    """``blob_sha256`` of the newest signed ``action`` entry about ``record``, if it verifies."""
    row = store.find_audit(action, record)
    if row is None:
        return None
    actor = store.get_user(row.actor)
    if actor is None or not crypto.verify(actor.signing_public, row.signature, row.hash):
        return None
    return str(json.loads(row.entry)["blob_sha256"])


# -------------------------------------------------------------------------- checkpoints


def make_checkpoint(
    vault_id: str, seq: int, head: bytes, signer: str, sign: Callable[[bytes], bytes]
) -> dict[str, Any]:
    """A signed statement "the chain had ``seq`` entries ending in ``head``", to keep off-box."""
    body = {"vault": vault_id, "seq": seq, "head": head.hex(), "signer": signer, "ts": utc_now()}
    signature = sign(CHECKPOINT_DOMAIN + crypto.canonical_json(body))
    return {**body, "signature": signature.hex()}


# -------------------------------------------------------------------------- verification


@dataclass
class VerifyReport:
    """Outcome of :func:`verify_chain`: empty ``problems`` means the vault verifies."""

    entries: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(
    store: Store,
    vault_id: str,
    *,
    checkpoints: Iterable[Mapping[str, Any]] = (),
    workers: int | None = None,
) -> VerifyReport:
    """Replay the whole signed log from its genesis entry and hold every table against it
    (one snapshot), signatures checked by ``workers`` threads (default: one per core, 1: in
    line): see :func:`kap_notes.vault.verify.verify_vault`."""
    # The verifier replays the policy log, which builds on this module: imported when called.
    from kap_notes.vault.verify import verify_vault  # noqa: PLC0415

    return verify_vault(store, vault_id, checkpoints=checkpoints, workers=workers)


def verify_legacy(
    store: Store, vault_id: str, checkpoints: Iterable[Mapping[str, Any]] = ()
) -> VerifyReport:
    """Release 1's checks (links, signatures by table keys, key fingerprints, record heads), for
    a vault about to be upgraded: call inside ``store.snapshot()`` or a transaction."""
    report = VerifyReport()
    signing_keys = {u.user_id: u.signing_public for u in store.list_users()}
    fingerprints = {
        u.user_id: key_fingerprint(u.box_public, u.signing_public) for u in store.list_users()
    }
    audited_keys: dict[str, str] = {}
    shredded: set[str] = set()
    heads: dict[int, bytes] = {}
    prev = b"\x00" * 32
    expected_seq = 1
    for row in store.audit_rows():
        report.entries += 1
        problem = _check_row(row, expected_seq, prev, signing_keys)
        if problem:
            report.problems.append(problem)
        fields = json.loads(row.entry)
        if row.action == "user_add" and row.record:
            audited_keys[row.record] = str(fields["blob_sha256"])
        if row.action == "shred" and row.patient:
            shredded.add(row.patient)
        if row.action == "init" and row.seq == 1:
            break_glass = bytes.fromhex(store.get_meta("break_glass_public") or "")
            if fields["blob_sha256"] != crypto.sha256(break_glass).hex():
                report.problems.append("the break-glass public key differs from the one audited")
        heads[row.seq] = row.hash
        prev = row.hash
        expected_seq = row.seq + 1
    for user_id, fingerprint in fingerprints.items():
        if audited_keys.get(user_id) != fingerprint:
            report.problems.append(f"user {user_id}: public keys differ from those audited")
    report.problems.extend(check_checkpoints(checkpoints, vault_id, heads, signing_keys))
    report.records, record_problems = _check_records(store, shredded)
    report.problems.extend(record_problems)
    return report


def _check_row(row: AuditRow, seq: int, prev: bytes, keys: Mapping[str, bytes]) -> str | None:
    try:
        fields = json.loads(row.entry)
    except ValueError:
        return f"audit entry {row.seq}: unreadable"
    if row.seq != seq or fields.get("seq") != row.seq:
        return f"audit entry {row.seq}: expected entry {seq} (an entry was deleted or reordered)"
    if fields.get("prev") != prev.hex() or chain_hash(prev, row.entry) != row.hash:
        return f"audit entry {row.seq}: hash chain broken (entry edited, deleted or reordered)"
    if (fields["actor"], fields["action"]) != (row.actor, row.action) or (
        fields["patient"],
        fields["record"],
    ) != (row.patient, row.record):
        return f"audit entry {row.seq}: indexed columns differ from the signed entry"
    public = keys.get(row.actor)
    if public is None or not crypto.verify(public, row.signature, row.hash):
        return f"audit entry {row.seq}: signature by {row.actor} does not verify"
    return None


def check_checkpoints(
    checkpoints: Iterable[Mapping[str, Any]],
    vault_id: str,
    heads: Mapping[int, bytes],
    keys: Mapping[str, bytes],
) -> list[str]:
    problems = []
    for cp in checkpoints:
        body = {k: cp[k] for k in ("vault", "seq", "head", "signer", "ts")}
        message = CHECKPOINT_DOMAIN + crypto.canonical_json(body)
        public = keys.get(str(cp["signer"]))
        if cp["vault"] != vault_id:
            problems.append("checkpoint belongs to another vault")
        elif public is None or not crypto.verify(
            public, bytes.fromhex(str(cp["signature"])), message
        ):
            problems.append(f"checkpoint at entry {cp['seq']}: signature does not verify")
        elif int(cp["seq"]) not in heads:
            problems.append(
                f"checkpoint at entry {cp['seq']}: the chain has only {len(heads)} entries "
                "(its tail was truncated)"
            )
        elif heads[int(cp["seq"])].hex() != cp["head"]:
            problems.append(f"checkpoint at entry {cp['seq']}: the chain was rewritten")
    return problems


def _check_records(store: Store, shredded: set[str]) -> tuple[int, list[str]]:
    audited = store.latest_audited_writes()
    problems = []
    count = 0
    seen: set[str] = set()
    for row in store.latest_records():
        count += 1
        seen.add(row.record_id)
        problem = check_record(row, audited.get(row.record_id))
        if problem:
            problems.append(problem)
    for record_id in sorted(audited.keys() - seen):
        if audited[record_id][0] not in shredded | store.shredded_patients():
            problems.append(f"record {record_id}: audited but missing from the store")
    return count, problems


def check_record(row: RecordRow, audited: tuple[str | None, int, str] | None) -> str | None:
    """Compare one stored record version with its newest audited write."""
    if audited is None:
        return f"record {row.record_id}: stored but never audited"
    _, version, digest = audited
    if row.version != version or crypto.sha256(row.blob).hex() != digest:
        return (
            f"record {row.record_id}: stored version {row.version} is not the newest audited "
            f"write (version {version}) — rolled back or replaced"
        )
    return None
