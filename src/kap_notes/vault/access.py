"""Who may open which patient: users, supervisors, grants, revocation, rotation, shredding and
break-glass. Every function here is audited."""

from __future__ import annotations

from typing import Any

from kap_notes.model.people import Role
from kap_notes.vault import audit, crypto, keys
from kap_notes.vault.crypto import KeyPair, OpenError
from kap_notes.vault.errors import NotAuthorised, UserExists, WrongPassphrase
from kap_notes.vault.ids import BREAK_GLASS, new_id
from kap_notes.vault.session import Session, wrap_context


def add_user(admin: Session, name: str, role: Role, passphrase: str) -> tuple[str, str]:
    """Create a user (admins only). Returns ``(user_id, recovery_code)``."""
    admin.require_role(Role.ADMIN)
    if admin.store.get_user_by_name(name) is not None:
        raise UserExists(f"a user named {name!r} already exists")
    user_id = new_id("user")
    recovery = admin.vault._store_new_user(
        user_id,
        name,
        role,
        KeyPair.generate(),
        passphrase,
        actor_keys=admin.key_pair,
        actor_id=admin.user_id,
    )
    return user_id, recovery


def assign_supervisor(admin: Session, supervisor: str, therapist: str) -> int:
    """Supervisor reviews all of a therapist's patients; returns how many grants were queued."""
    admin.require_role(Role.ADMIN)
    sup, ther = admin.vault.user(supervisor), admin.vault.user(therapist)
    if sup.role != Role.SUPERVISOR.value:
        raise NotAuthorised(f"{supervisor} is a {sup.role}, not a supervisor")
    patients = [p.patient_id for p in admin.store.list_patients() if p.owner_id == ther.user_id]
    with admin.store.transaction():
        admin.store.add_supervision(sup.user_id, ther.user_id)
        admin.audit("supervise", record=sup.user_id)
        for patient_id in patients:
            admin.store.add_pending_grant(patient_id, sup.user_id)
            admin.audit("grant_request", patient_id, sup.user_id)
    return len(patients)


def grant(session: Session, patient_id: str, name: str) -> str:
    """Give ``name`` access to a patient. Returns ``"granted"`` or ``"pending"``.

    Someone holding the patient's key wraps it at once. An admin without the key queues the grant;
    the treating therapist's next unlock fulfils it.
    """
    target = session.vault.user(name)
    row = session.patient(patient_id)
    epochs = range(1, row.epoch + 1)
    if all(session.store.get_wrap(patient_id, e, session.user_id) for e in epochs):
        if session.role == Role.ADMIN:
            raise NotAuthorised("admins do not hold patient keys")
        with session.store.transaction():
            for epoch in epochs:
                session.wrap_for(
                    patient_id, epoch, session.patient_key(patient_id, epoch), target.user_id
                )
            session.audit("grant", patient_id, target.user_id)
        return "granted"
    session.require_role(Role.ADMIN)
    with session.store.transaction():
        session.store.add_pending_grant(patient_id, target.user_id)
        session.audit("grant_request", patient_id, target.user_id)
    return "pending"


def rotate(session: Session, patient_id: str) -> int:
    """Start a new key epoch wrapped to the current recipients. Returns the new epoch.

    Needs no patient key (only public keys), so an admin can rotate. Old records stay readable
    under their old epoch; new writes use the new one.
    """
    if session.role != Role.ADMIN and not session.has_access(patient_id):
        raise NotAuthorised(f"{session.user_row.name} may not rotate keys for {patient_id}")
    with session.store.transaction():
        return _rotate(session, patient_id)


def _rotate(session: Session, patient_id: str) -> int:
    """*tx* — the new epoch's key, wrapped to the current epoch's remaining recipients."""
    row = session.patient(patient_id)
    epoch = row.epoch + 1
    key = crypto.random_bytes(crypto.KEY_BYTES)
    recipients = set(session.store.wrap_recipients(patient_id, row.epoch)) | {BREAK_GLASS}
    for recipient in sorted(recipients):
        session.wrap_for(patient_id, epoch, key, recipient)
    session.store.set_patient_epoch(patient_id, epoch)
    session.audit("rotate", patient_id, version=epoch)
    return epoch


def revoke(session: Session, patient_id: str, name: str) -> int:
    """Drop every wrap ``name`` has for the patient, then rotate. Returns the new epoch."""
    target = session.vault.user(name)
    row = session.patient(patient_id)
    if target.user_id == row.owner_id:
        raise NotAuthorised(f"{name} is the treating therapist; reassign the patient first")
    if session.role != Role.ADMIN and session.user_id != row.owner_id:
        raise NotAuthorised("only the treating therapist or an admin may revoke access")
    with session.store.transaction():  # one transaction: never revoked without a new key
        session.store.delete_wraps(patient_id, target.user_id)
        session.store.delete_pending_grant(patient_id, target.user_id)
        session.audit("revoke", patient_id, target.user_id)
        return _rotate(session, patient_id)


def shred(session: Session, patient_id: str) -> None:
    """Crypto-shred a patient after retention: wraps, records and versions destroyed, scrubbed."""
    session.require_role(Role.ADMIN)
    session.patient(patient_id)
    with session.store.transaction():
        session.store.delete_patient(patient_id)
        session.audit("shred", patient_id)
    session.store.scrub()


def break_glass(session: Session, code: str, patient_id: str, reason: str) -> str:
    """Emergency access: the sealed break-glass key grants ``session``'s user the patient.

    The reason is required, stored encrypted inside the patient's record space, and the use is
    audited. Returns the id of the reason record.
    """
    if len(reason.strip()) < 10:
        raise NotAuthorised("break-glass needs a reason of at least 10 characters")
    private = crypto.box_key_from_private(keys.break_glass_private(code))
    if crypto.public_bytes(private.public_key()) != session.vault.break_glass_public:
        raise WrongPassphrase("that break-glass code does not belong to this vault")
    row = session.patient(patient_id)
    patient_keys = {}
    for epoch in range(1, row.epoch + 1):
        sealed = session.store.get_wrap(patient_id, epoch, BREAK_GLASS)
        if sealed is None:
            continue
        context = wrap_context(session.vault.vault_id, patient_id, epoch, BREAK_GLASS)
        try:
            patient_keys[epoch] = crypto.open_from(private, sealed, context)
        except OpenError as exc:
            raise WrongPassphrase("the break-glass key could not open this patient") from exc
    with session.store.transaction():
        for epoch, key in patient_keys.items():
            session.wrap_for(patient_id, epoch, key, session.user_id)
        session.audit("break_glass", patient_id, session.user_id)
    reason_record: dict[str, Any] = {
        "kind": "access_reason",
        "reason": reason.strip(),
        "user": session.user_id,
        "at": audit.utc_now(),
    }
    record_id, _ = session.put_record(patient_id, reason_record)
    return record_id


def checkpoint(session: Session) -> dict[str, Any]:
    """A signed checkpoint of the chain head, to keep somewhere the vault's host can't rewrite."""
    rows = list(session.store.audit_rows())
    head = rows[-1]
    return audit.make_checkpoint(
        session.vault.vault_id, head.seq, head.hash, session.user_id, session.sign_bytes
    )
