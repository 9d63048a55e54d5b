"""Loading the verified policy (:mod:`.policy`) fast, and holding the tables against it.

Replaying every entry costs one Ed25519 verification each, so each user keeps a private
checkpoint of the policy they last verified: sealed under a key only their private keys derive,
stored in ``meta`` as ``policy_cache:<user id>``. A database writer can delete or replace it with
an older one of the same user's (then more is replayed), never forge it. Unlock replays only the
entries after it. ``audit verify`` always replays from the genesis entry.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Iterable, Iterator, Mapping

from kap_notes.vault import checkpoint, crypto
from kap_notes.vault.audit import WRITE_ACTIONS, chain_hash, key_fingerprint
from kap_notes.vault.crypto import KeyPair, OpenError
from kap_notes.vault.policy import Policy, Unauthorised, expected_wraps, heads
from kap_notes.vault.store import AuditRow, Store, UserRow

CACHE_PREFIX = "policy_cache:"


# -------------------------------------------------------------------------------- loading


def from_genesis(
    store: Store,
    vault_id: str,
    *,
    rows: Iterable[AuditRow] | None = None,
    policy: Policy | None = None,
) -> Policy:
    """Replay the whole chain (raises :class:`Unauthorised` at the first bad entry); ``rows``
    (the store's entries, oldest first) and an empty ``policy`` to replay into may be given."""
    policy = Policy(vault_id) if policy is None else policy
    rows = iter(store.audit_rows() if rows is None else rows)
    first = next(rows, None)
    if first is None:
        raise Unauthorised(1, "init", "?", "the audit log is empty")
    if b'"data"' not in first.entry:
        policy = _from_snapshot(vault_id, first, rows)
    else:
        policy.apply(first)
    policy.replay(rows)
    return policy


def _from_snapshot(vault_id: str, first: AuditRow, rows: Iterator[AuditRow]) -> Policy:
    """A vault made by release 1: its history up to the upgrade is pinned by a snapshot entry
    the genesis admin signed after verifying it the old way (see :mod:`.upgrade`)."""
    earlier = [first]
    for row in rows:
        if row.action == "policy_snapshot":
            return _check_snapshot(vault_id, earlier, row)
        earlier.append(row)
    raise Unauthorised(first.seq, first.action, first.actor, "this vault needs `vault upgrade`")


def snapshot_policy(
    vault_id: str, genesis: str, added: AuditRow | None, snap: AuditRow | None
) -> Policy:
    """The policy an upgrade snapshot states, if the genesis admin signed it (the key whose
    fingerprint release 1 recorded when adding that admin)."""
    if snap is None:
        raise Unauthorised(1, "init", genesis, "this vault needs `kap-notes vault upgrade`")
    refuse = Unauthorised(snap.seq, snap.action, snap.actor, "the upgrade snapshot is not genuine")
    try:
        fields = json.loads(snap.entry)
        policy = Policy.from_bytes(crypto.canonical_json(fields["data"]["policy"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise refuse from exc
    key = policy.users.get(genesis)
    if key is None or added is None or snap.actor != genesis or policy.vault_id != vault_id:
        raise refuse
    audited = json.loads(added.entry).get("blob_sha256")
    if key_fingerprint(bytes.fromhex(key.box), bytes.fromhex(key.signing)) != audited:
        raise refuse
    if not crypto.verify(bytes.fromhex(key.signing), snap.signature, snap.hash):
        raise refuse
    policy.seq, policy.head = snap.seq, snap.hash.hex()
    return policy


def _check_snapshot(vault_id: str, earlier: list[AuditRow], snap: AuditRow) -> Policy:
    genesis = earlier[0].actor
    added = next((r for r in earlier if r.action == "user_add" and r.record == genesis), None)
    policy = snapshot_policy(vault_id, genesis, added, snap)
    prev = b"\x00" * 32
    for row in [*earlier, snap]:
        fields = json.loads(row.entry)
        if fields.get("prev") != prev.hex() or chain_hash(prev, row.entry) != row.hash:
            raise Unauthorised(row.seq, row.action, row.actor, "hash chain broken")
        signer = policy.signing_key(row.actor)
        if signer is None or not crypto.verify(signer, row.signature, row.hash):
            raise Unauthorised(row.seq, row.action, row.actor, "the signature does not verify")
        prev = row.hash
    return policy


#: Rewrite a user's checkpoint once this many newer entries had to be replayed at unlock.
CHECKPOINT_EVERY = 500


def load(store: Store, vault_id: str, key_pair: KeyPair, user_id: str) -> tuple[Policy, bool]:
    """The policy as of the newest entry, from this user's checkpoint if it still links; and
    whether the checkpoint is worth rewriting (missing, or many entries behind)."""
    policy, stale, _ = load_since(store, vault_id, key_pair, user_id)
    return policy, stale


def load_since(
    store: Store, vault_id: str, key_pair: KeyPair, user_id: str
) -> tuple[Policy, bool, int]:
    """:func:`load`, and the seq of the verified head it started from (0: the genesis entry)."""
    cached = read_cache(store, vault_id, key_pair, user_id)
    if cached is not None:
        rows = iter(store.audit_rows(after=cached.seq - 1))
        anchor = next(rows, None)
        if anchor is not None and anchor.seq == cached.seq and anchor.hash.hex() == cached.head:
            start = cached.seq
            cached.replay(rows)
            return cached, cached.seq - start > CHECKPOINT_EVERY, start
    return from_genesis(store, vault_id), True, 0


def sync(store: Store, policy: Policy) -> None:
    """Apply the entries written since ``policy`` was last brought up to date."""
    policy.replay(store.audit_rows(after=policy.seq))


# ---------------------------------------------------------------------------------- cache


def _cache_key(key_pair: KeyPair, vault_id: str) -> bytes:
    # v4: patients as short rows, their key material decoded when first read (.checkpoint);
    # older checkpoints no longer open, so the next unlock replays once.
    return crypto.subkey(key_pair, b"kap-notes policy cache v4\x00" + vault_id.encode())


def read_cache(store: Store, vault_id: str, key_pair: KeyPair, user_id: str) -> Policy | None:
    text = store.get_meta(CACHE_PREFIX + user_id)
    if not text:
        return None
    try:
        sealed = binascii.a2b_base64(text)  # str as it is: no ASCII copy of megabytes
        raw = crypto.open_secret(_cache_key(key_pair, vault_id), sealed, user_id.encode())
        return checkpoint.decode(raw, lambda space: store.audit_rows(patient_id=space))
    except (OpenError, ValueError, KeyError, TypeError, zlib.error, binascii.Error):
        return None  # unreadable or not ours: verify from the genesis entry instead


def write_cache(store: Store, policy: Policy, key_pair: KeyPair, user_id: str) -> None:
    """*tx* — keep this user's checkpoint of the verified policy."""
    raw = checkpoint.encode(policy)
    sealed = crypto.seal_secret(_cache_key(key_pair, policy.vault_id), raw, user_id.encode())
    store.set_meta(CACHE_PREFIX + user_id, base64.b64encode(sealed).decode("ascii"))


# ------------------------------------------------------------------------ tables vs the log


def head_problems(store: Store, policy: Policy) -> list[str]:
    """Record heads in the table against the log (cheap: no blob is read)."""
    expected = heads(policy)
    problems = []
    stored = {str(r): (str(p), int(v)) for r, p, v in store.dump_table("records")}
    for rid, (pid, version) in sorted(stored.items()):
        want = expected.get(rid)
        if want is None:
            problems.append(f"record {rid}: stored but never written by anyone authorised")
        elif want != (pid, version):
            problems.append(
                f"record {rid}: stored version {version} is not the newest signed write "
                f"(version {want[1]}) — rolled back or replaced"
            )
    for rid in sorted(expected.keys() - stored.keys()):
        problems.append(f"record {rid}: written (audited) but missing from the store")
    return problems


def heads_since(store: Store, policy: Policy, since: int) -> list[str]:
    """Unlock's check: the records written after the verified head ``since`` against the log
    (every record when ``since`` is 0). Older rows are held against the log when their patient
    is opened (:func:`patient_problems`) and by ``audit verify``."""
    if since <= 0:
        return head_problems(store, policy)
    written = {
        row.record
        for row in store.audit_rows(after=since)
        if row.action in WRITE_ACTIONS and row.record
    }
    problems = []
    for rid in sorted(written):
        row = store.get_record(rid)
        fact = policy.records.get(rid)
        want = None if fact is None else (fact.patient, len(fact.digests))
        got = None if row is None else (row.patient_id, row.version)
        if want is None and got is None:
            continue  # shredded since
        if got != want:
            problems.append(_head_problem(rid, got, want))
    return problems


def patient_problems(policy: Policy, space: str, stored: Mapping[str, int]) -> list[str]:
    """One patient space's stored record heads (``record id -> version``) against the log."""
    expected = {rid: len(policy.records[rid].digests) for rid in policy.records_of(space)}
    return [
        _head_problem(
            rid,
            None if rid not in stored else (space, stored[rid]),
            None if rid not in expected else (space, expected[rid]),
        )
        for rid in sorted(expected.keys() | stored.keys())
        if stored.get(rid) != expected.get(rid)
    ]


def _head_problem(rid: str, got: tuple[str, int] | None, want: tuple[str, int] | None) -> str:
    if want is None:
        return f"record {rid}: stored but never written by anyone authorised"
    if got is None:
        return f"record {rid}: written (audited) but missing from the store"
    if got[0] != want[0]:
        return f"record {rid}: stored under another patient than its signed write"
    return (
        f"record {rid}: stored version {got[1]} is not the newest signed write "
        f"(version {want[1]}) — rolled back or replaced"
    )


def table_problems(store: Store, policy: Policy) -> list[str]:
    """Every difference between the tables and what the signed log says (``audit verify``)."""
    problems = head_problems(store, policy)
    problems += _user_problems(store, policy)
    problems += _access_problems(store, policy)
    for rid, version, blob in store.record_versions():
        fact = policy.records.get(rid)
        if fact is None or not 0 < version <= len(fact.digests):
            problems.append(f"record {rid} version {version}: never written by anyone authorised")
        elif crypto.sha256(blob).hex() != fact.digests[version - 1]:
            problems.append(f"record {rid} version {version}: altered since it was written")
    bg = bytes.fromhex(store.get_meta("break_glass_public") or "")
    if crypto.sha256(bg).hex() != policy.break_glass_key:
        problems.append("the break-glass public key differs from the one signed at init")
    return problems


def _user_problems(store: Store, policy: Policy) -> list[str]:
    problems = []
    seen = set()
    for uid, name, role, box, signing, key_wrap, recovery, active in store.dump_table("users"):
        seen.add(uid)
        fact = policy.users.get(uid)
        if fact is None:
            problems.append(f"user {name} ({uid}): in the users table but never added by an admin")
            continue
        stored = (name, role, bytes(box).hex(), bytes(signing).hex(), bool(active))
        if stored != (fact.name, fact.role, fact.box, fact.signing, fact.active):
            problems.append(f"user {uid}: name, role or public keys differ from those signed")
        if _sha(key_wrap) != fact.key_wrap or _sha(recovery) != fact.recovery_wrap:
            problems.append(f"user {uid}: key wraps differ from those signed")
    problems += [
        f"user {u}: signed but missing from the users table" for u in policy.users.keys() - seen
    ]
    return problems


def _access_problems(store: Store, policy: Policy) -> list[str]:
    problems = []
    want_sup = {(s, t) for t, sups in policy.supervisors.items() for s in sups}
    got_sup = {(str(s), str(t)) for s, t in store.dump_table("supervision")}
    problems += [
        f"supervision {s} → {t}: not signed by an admin and accepted"
        for s, t in sorted(got_sup - want_sup)
    ]
    problems += [f"supervision {s} → {t}: missing" for s, t in sorted(want_sup - got_sup)]
    want_pt = {pid: (p.epoch, p.owner) for pid, p in policy.patients.items()}
    got_pt = {str(pid): (int(e), str(o)) for pid, e, o in store.dump_table("patients")}
    for pid in sorted(want_pt.keys() | got_pt.keys()):
        if want_pt.get(pid) != got_pt.get(pid):
            problems.append(
                f"patient {pid}: stored epoch/owner {got_pt.get(pid)} differ from the signed "
                f"{want_pt.get(pid)}"
            )
    want_wraps = expected_wraps(policy)
    got_wraps = {
        (str(p), int(e), str(r)): crypto.sha256(bytes(s)).hex()
        for p, e, r, s in store.dump_table("wraps")
    }
    for key in sorted(want_wraps.keys() | got_wraps.keys()):
        if want_wraps.get(key) != got_wraps.get(key):
            what = "missing" if key not in got_wraps else "not made by an authorised act"
            problems.append(f"key wrap {key[0]} epoch {key[1]} for {key[2]}: {what}")
    want_req = {(pid, u) for pid, p in policy.patients.items() for u in p.requests}
    got_req = {(str(p), str(u)) for p, u in store.dump_table("pending_grants")}
    problems += [
        f"pending grant {p} for {u}: never requested" for p, u in sorted(got_req - want_req)
    ]
    problems += [f"pending grant {p} for {u}: missing" for p, u in sorted(want_req - got_req)]
    return problems


def _sha(text: object) -> str | None:
    return None if text is None else crypto.sha256(str(text).encode("utf-8")).hex()


def wrap_digest(text: str | None) -> str | None:
    """How the log records a user's key wrap: its SHA-256, never the wrap itself."""
    return _sha(text)


def user_add_data(
    row: UserRow, *, display_name: str | None = None, credentials: str | None = None
) -> dict[str, str | None]:
    """What a ``user_add`` entry signs about the new user (display name and credentials, shown
    beside their signatures, only when given)."""
    shown = {"display_name": display_name, "credentials": credentials}
    return {
        **{k: v.strip() for k, v in shown.items() if v and v.strip()},
        "user": row.user_id,
        "name": row.name,
        "role": row.role,
        "box": row.box_public.hex(),
        "signing": row.signing_public.hex(),
        "key_wrap": wrap_digest(row.key_wrap),
        "recovery_wrap": wrap_digest(row.recovery_wrap),
    }
