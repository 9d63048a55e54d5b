"""Upgrading a vault made by release 1 to the verified policy log.

Release 1's entries carry no policy facts (roles, supervision, recipients), so they cannot be
replayed under the new rules. The admin who created the vault (its genesis key) upgrades it once:

1. the vault is verified the old way (links, signatures, key fingerprints, record heads);
2. the tables as they stand are written into one ``policy_snapshot`` entry signed by the genesis
   admin — this is trust on upgrade: whatever a database writer changed *before* the upgrade and
   release 1 could not detect becomes part of the snapshot (keep an off-box checkpoint from
   before, and compare, if that matters);
3. pending grants are dropped (release 1 fulfilled any row; they must be asked for again);
4. every patient's key is rotated, so that new writes use keys with a signed commitment.

Afterwards the log is replayed from the snapshot on (:func:`.trust.from_genesis`).
"""

from __future__ import annotations

import json

from kap_notes.vault import access, audit, crypto, keys, trust
from kap_notes.vault.crypto import MINIMUM_KDF, KdfParams
from kap_notes.vault.errors import IntegrityError, NotAuthorised, VaultError
from kap_notes.vault.ids import BREAK_GLASS
from kap_notes.vault.policy import (
    PATIENT,
    SEALING_ACTIONS,
    PatientFact,
    Policy,
    RecordFact,
    UserFact,
)
from kap_notes.vault.store import Store
from kap_notes.vault.vault import FORMAT, LEGACY_FORMAT, Vault


def upgrade(vault: Vault, name: str, passphrase: str) -> int:
    """Upgrade ``vault`` in place as its genesis admin. Returns how many patients were rotated."""
    store = vault.store
    if vault.format != LEGACY_FORMAT:
        raise VaultError(f"{vault.location} is already in the current format")
    user = store.get_user_by_name(name)
    first = next(iter(store.audit_rows()), None)
    if user is None or first is None or first.actor != user.user_id:
        raise NotAuthorised("only the admin who created the vault can upgrade it")
    key_pair = keys.unwrap_keys(
        user.key_wrap,
        passphrase,
        vault_id=vault.vault_id,
        user_id=user.user_id,
        kind="passphrase",
        floor=vault.requested_floor,
    )
    with store.transaction():
        report = audit.verify_legacy(store, vault.vault_id)
        if not report.ok:
            raise IntegrityError(
                "the vault does not verify as it is, so it cannot be upgraded: "
                + "; ".join(report.problems[:3])
            )
        policy = snapshot(store, vault.vault_id, user.user_id, vault.requested_floor)
        plain = policy.to_dict()
        data = {"policy": {k: v for k, v in plain.items() if k not in ("seq", "head")}}
        event = audit.AuditEvent(user.user_id, "policy_snapshot", record=vault.vault_id, data=data)
        store.append_audit(event.builder(key_pair.signing.sign))
        for patient_id, user_id in store.dump_table("pending_grants"):
            store.delete_pending_grant(str(patient_id), str(user_id))
        store.set_meta("format", FORMAT)
    upgraded = Vault(store, vault.location, kdf_floor=vault.requested_floor)
    admin = upgraded.unlock(name, passphrase)
    patients = sorted(admin.policy.patients)
    for patient_id in patients:
        access.rotate(admin, patient_id)
    vault.format = FORMAT
    return len(patients)


def snapshot(store: Store, vault_id: str, genesis: str, floor: KdfParams) -> Policy:
    """The policy the tables describe now (checked the old way just before)."""
    users = {
        str(uid): UserFact(
            name=str(name),
            role=str(role),
            box=bytes(box).hex(),
            signing=bytes(signing).hex(),
            key_wrap=trust.wrap_digest(str(wrap)) or "",
            recovery_wrap=trust.wrap_digest(None if recovery is None else str(recovery)),
            active=bool(active),
        )
        for uid, name, role, box, signing, wrap, recovery, active in store.dump_table("users")
    }
    m, t, p = (int(x) for x in (store.get_meta("kdf") or "0,0,0").split(","))
    policy = Policy(
        vault_id=vault_id,
        genesis=genesis,
        genesis_signing=users[genesis].signing,
        kdf=KdfParams(memory_kib=m, iterations=t, lanes=p).as_dict(),
        kdf_floor=floor.as_dict(),
        demo=not floor.at_least(MINIMUM_KDF),
        break_glass_key=crypto.sha256(
            bytes.fromhex(store.get_meta("break_glass_public") or "")
        ).hex(),
        users=users,
    )
    for sup, ther in store.dump_table("supervision"):
        policy.supervisors.setdefault(str(ther), []).append(str(sup))
    wraps: dict[str, dict[str, str]] = {}
    for pid, epoch, recipient, sealed in store.dump_table("wraps"):
        wraps.setdefault(str(pid), {})[f"{epoch}/{recipient}"] = crypto.sha256(bytes(sealed)).hex()
    for pid, epoch, owner in store.dump_table("patients"):
        current = [k.split("/", 1)[1] for k in wraps.get(str(pid), {}) if k.startswith(f"{epoch}/")]
        policy.patients[str(pid)] = PatientFact(
            owner=str(owner),
            kind=PATIENT,
            parent=None,
            epoch=int(epoch),
            commits={},
            wraps=wraps.get(str(pid), {}),
            readers=sorted(r for r in current if r != BREAK_GLASS),
        )
    _records(store, policy)
    return policy


def _records(store: Store, policy: Policy) -> None:
    """Record authors and version digests from the (just verified) audited writes."""
    for row in store.audit_rows():
        if row.action == "shred" and row.patient:
            policy.shredded.append(row.patient)
        if row.action not in audit.WRITE_ACTIONS or row.record is None:
            continue
        fields = json.loads(row.entry)
        fact = policy.records.get(row.record)
        if fact is None:
            fact = policy.records[row.record] = RecordFact(str(row.patient), row.actor, [])
        version = int(fields["version"])
        del fact.digests[version - 1 :]  # a failed-and-retried write keeps the newest digest
        fact.digests.append(str(fields["blob_sha256"]))
        fact.sealed = row.action in SEALING_ACTIONS
    for rid in [r for r, f in policy.records.items() if f.patient in policy.shredded]:
        del policy.records[rid]
