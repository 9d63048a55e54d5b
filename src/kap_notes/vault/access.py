"""Who may open which patient: users, supervisors, grants and their approval, revocation,
rotation, shredding and break-glass. Every act here is a signed entry the policy log checks
(:mod:`.policy` holds the rules); nothing is granted silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from kap_notes.model.people import Role
from kap_notes.vault import audit, crypto, keys
from kap_notes.vault.crypto import KeyPair, OpenError
from kap_notes.vault.errors import NotAuthorised, UserExists, WrongPassphrase
from kap_notes.vault.ids import BREAK_GLASS, new_id
from kap_notes.vault.policy import PATIENT, wrap_commit_context, wraps_listing
from kap_notes.vault.session import Session, now_utc, wrap_context
from kap_notes.vault.trust import user_add_data

#: How long break-glass access lasts unless the clinic sets otherwise (hours).
BREAK_GLASS_HOURS = 24


@dataclass(frozen=True)
class GrantRequest:
    """Someone asked for access to a patient; the treating therapist approves or denies."""

    patient_id: str
    user_name: str
    requested_by: str


def add_user(
    admin: Session,
    name: str,
    role: Role,
    passphrase: str,
    *,
    display_name: str | None = None,
    credentials: str | None = None,
) -> tuple[str, str]:
    """Create a user (admins only). Returns ``(user_id, recovery_code)``.

    ``display_name`` and ``credentials`` (e.g. "Tess Taylor", "LCSW") are shown beside their
    signatures; both are optional and signed into the log with the user.
    """
    admin.require_role(Role.ADMIN)
    admin.sync()
    if admin.policy.user_named(name) is not None or admin.store.get_user_by_name(name):
        raise UserExists(f"a user named {name!r} already exists")
    user_id = new_id("user")
    row, recovery = admin.vault.new_user_row(user_id, name, role, KeyPair.generate(), passphrase)
    with admin.writing():
        admin.store.add_user(row)
        admin.audit(
            "user_add",
            record=user_id,
            data=user_add_data(row, display_name=display_name, credentials=credentials),
        )
    return user_id, recovery


def assign_supervisor(admin: Session, supervisor: str, therapist: str) -> int:
    """Propose that a supervisor reviews all of a therapist's patients (admins only).

    Nothing is wrapped until the therapist accepts (:func:`accept_supervisor`). Returns how many
    patients the supervisor will be able to read once accepted.
    """
    admin.require_role(Role.ADMIN)
    admin.sync()
    sup, sup_role = admin.user_named(supervisor)
    ther, ther_role = admin.user_named(therapist)
    if sup_role != Role.SUPERVISOR.value:
        raise NotAuthorised(f"{supervisor} is a {sup_role}, not a supervisor")
    if ther_role != Role.THERAPIST.value:
        raise NotAuthorised(f"{therapist} is a {ther_role}, not a therapist")
    with admin.writing():
        admin.audit("supervise", record=sup, data={"supervisor": sup, "therapist": ther})
    return len(admin.policy.owned_patients(ther))


def accept_supervisor(therapist: Session, supervisor: str) -> int:
    """The therapist accepts a supervisor an admin proposed: every patient of theirs (now and
    later) is wrapped to the supervisor. Returns how many patients were shared."""
    therapist.sync()
    sup, _ = therapist.user_named(supervisor)
    if [sup, therapist.user_id] not in therapist.policy.proposals:
        raise NotAuthorised(f"no admin proposed {supervisor} as your supervisor")
    owned = therapist.policy.owned_patients(therapist.user_id)
    with therapist.writing():
        wraps = [
            therapist.wrap_for(pid, epoch, therapist.patient_key(pid, epoch), sup)
            for pid in owned
            for epoch in range(1, therapist.patient(pid).epoch + 1)
        ]
        therapist.store.add_supervision(sup, therapist.user_id)
        for pid in owned:
            therapist.store.delete_pending_grant(pid, sup)
        data = {"supervisor": sup, "therapist": therapist.user_id, "wraps": wraps_listing(wraps)}
        therapist.audit("supervise_accept", record=sup, data=data)
    return len(owned)


def proposed_supervisors(session: Session) -> list[str]:
    """Names of supervisors an admin proposed for this therapist, awaiting acceptance."""
    session.sync()
    return [
        session.user_name(sup) for sup, ther in session.policy.proposals if ther == session.user_id
    ]


def grant(session: Session, patient_id: str, name: str) -> str:
    """Give ``name`` access to a patient. Returns ``"granted"`` or ``"pending"``.

    The treating therapist grants at once. Anyone else only asks (:func:`request_grant`): the
    treating therapist sees the request and approves or denies it.
    """
    session.sync()
    owner = session.patient(patient_id).owner_id
    if session.user_id != owner:
        if session.role != Role.ADMIN:
            raise NotAuthorised(
                "only the patient's treating therapist grants access (an admin may ask)"
            )
        return request_grant(session, patient_id, name)
    approve_grant(session, patient_id, name)
    return "granted"


def request_grant(session: Session, patient_id: str, name: str) -> str:
    """Ask the treating therapist to give ``name`` access. Returns ``"pending"``."""
    session.sync()
    target, _ = session.user_named(name)
    fact = session.policy.patients.get(patient_id)
    if fact is None or fact.kind != PATIENT:
        session.patient(patient_id)
        raise NotAuthorised("access to process notes cannot be requested")
    with session.writing():
        session.store.add_pending_grant(patient_id, target)
        session.audit("grant_request", patient_id, target, data={"user": target})
    return "pending"


def pending_requests(session: Session) -> list[GrantRequest]:
    """Access requests this user (as treating therapist) may approve or deny."""
    session.sync()
    return [
        GrantRequest(pid, session.user_name(user), session.user_name(by))
        for pid in session.policy.owned_patients(session.user_id)
        for user, by in sorted(session.policy.patients[pid].requests.items())
    ]


def approve_grant(session: Session, patient_id: str, name: str) -> None:
    """The treating therapist wraps every epoch's key to ``name`` (never to themself)."""
    session.sync()
    target, _ = session.user_named(name)
    row = session.patient(patient_id)
    if session.user_id != row.owner_id:
        raise NotAuthorised("only the patient's treating therapist approves access")
    if target == session.user_id:
        raise NotAuthorised("nobody approves access for themself")
    with session.writing():
        wraps = [
            session.wrap_for(patient_id, e, session.patient_key(patient_id, e), target)
            for e in range(1, row.epoch + 1)
        ]
        session.store.delete_pending_grant(patient_id, target)
        data = {"user": target, "wraps": wraps_listing(wraps)}
        session.audit("grant", patient_id, target, data=data)


def deny_grant(session: Session, patient_id: str, name: str) -> None:
    """The treating therapist declines a request."""
    session.sync()
    target, _ = session.user_named(name)
    if session.user_id != session.patient(patient_id).owner_id:
        raise NotAuthorised("only the patient's treating therapist answers access requests")
    with session.writing():
        session.store.delete_pending_grant(patient_id, target)
        session.audit("grant_deny", patient_id, target, data={"user": target})


def rotate(session: Session, patient_id: str) -> int:
    """Start a new key epoch wrapped to the current readers. Returns the new epoch.

    Needs no patient key (only public keys), so an admin can rotate. Old records stay readable
    under their old epoch; new writes use the new one.
    """
    session.sync()
    row = session.patient(patient_id)
    if (
        session.role != Role.ADMIN
        and session.user_id != row.owner_id
        and not session.may_read(patient_id)
    ):
        raise NotAuthorised(f"{session.user_row.name} may not rotate keys for {patient_id}")
    with session.writing():
        return _rotate(session, patient_id)


def _rotate(session: Session, patient_id: str) -> int:
    """*tx* — the new epoch's key, wrapped to exactly the readers the signed log names."""
    epoch = session.patient(patient_id).epoch + 1
    key = crypto.random_bytes(crypto.KEY_BYTES)
    recipients = session.policy.rotation_recipients(patient_id)
    wraps = [session.wrap_for(patient_id, epoch, key, r) for r in recipients]
    commit = crypto.key_commitment(
        key, wrap_commit_context(session.vault.vault_id, patient_id, epoch)
    )
    session.store.set_patient_epoch(patient_id, epoch)
    data = {"epoch": epoch, "commit": commit, "wraps": wraps_listing(wraps)}
    session.audit("rotate", patient_id, version=epoch, data=data)
    return epoch


def revoke(session: Session, patient_id: str, name: str) -> int:
    """Drop every wrap ``name`` has for the patient, then rotate. Returns the new epoch."""
    session.sync()
    target, _ = session.user_named(name)
    row = session.patient(patient_id)
    if target == row.owner_id:
        raise NotAuthorised(f"{name} is the treating therapist; reassign the patient first")
    if session.role != Role.ADMIN and session.user_id != row.owner_id:
        raise NotAuthorised("only the treating therapist or an admin may revoke access")
    with session.writing():  # one transaction: never revoked without a new key
        session.store.delete_wraps(patient_id, target)
        session.store.delete_pending_grant(patient_id, target)
        session.audit("revoke", patient_id, target, data={"user": target})
        return _rotate(session, patient_id)


def shred(session: Session, patient_id: str) -> None:
    """Crypto-shred a patient after retention: wraps, records and versions destroyed, scrubbed."""
    session.require_role(Role.ADMIN)
    session.sync()
    session.patient(patient_id)
    spaces = [pid for pid, fact in session.policy.patients.items() if fact.parent == patient_id]
    with session.writing():
        for space in [patient_id, *spaces]:
            session.store.delete_patient(space)
        session.audit("shred", patient_id)
    session.store.scrub()


def break_glass(
    session: Session, code: str, patient_id: str, reason: str, *, hours: int = BREAK_GLASS_HOURS
) -> str:
    """Emergency access: the sealed break-glass key grants ``session``'s user the patient for
    ``hours`` (a clinic setting). The reason is required, stored encrypted with the patient's
    records; the use is audited and the treating therapist is told at their next unlock.
    Returns the id of the reason record.
    """
    if len(reason.strip()) < 10:
        raise NotAuthorised("break-glass needs a reason of at least 10 characters")
    session.sync()
    private = crypto.box_key_from_private(keys.break_glass_private(code))
    if crypto.public_bytes(private.public_key()) != session.vault.break_glass_public(
        session.policy
    ):
        raise WrongPassphrase("that break-glass code does not belong to this vault")
    row = session.patient(patient_id)
    patient_keys = {}
    for epoch in range(1, row.epoch + 1):
        sealed = session.store.get_wrap(patient_id, epoch, BREAK_GLASS)
        context = wrap_context(session.vault.vault_id, patient_id, epoch, BREAK_GLASS)
        try:
            patient_keys[epoch] = crypto.open_from(private, sealed or b"", context)
        except OpenError as exc:
            raise WrongPassphrase("the break-glass key could not open this patient") from exc
    expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=hours)).isoformat(
        timespec="microseconds"
    )
    with session.writing():
        wraps = [
            session.wrap_for(patient_id, epoch, key, session.user_id)
            for epoch, key in patient_keys.items()
        ]
        data = {"user": session.user_id, "expires": expires, "wraps": wraps_listing(wraps)}
        session.audit("break_glass", patient_id, session.user_id, data=data)
    reason_record: dict[str, Any] = {
        "kind": "access_reason",
        "reason": reason.strip(),
        "user": session.user_id,
        "at": audit.utc_now(),
    }
    record_id, _ = session.put_record(patient_id, reason_record)
    return record_id


def after_unlock(session: Session) -> None:
    """Tell the treating therapist about break-glass use on their patients, and end emergency
    access that has expired (a new key epoch the emergency user does not hold)."""
    now = now_utc()
    for pid in session.policy.owned_patients(session.user_id):
        used = sorted(session.policy.patients[pid].break_glass.items())
        for user, expires in used:
            state = "expired, access ended" if expires <= now else f"until {expires[:16]} UTC"
            session.notices.append(
                f"{session.user_name(user)} used break-glass access to patient {pid} ({state}); "
                "the reason is recorded with the patient's notes"
            )
        expired = [user for user, expires in used if expires <= now]
        if expired:
            with session.writing():
                for user in expired:
                    session.store.delete_wraps(pid, user)
                    session.audit("revoke", pid, user, data={"user": user})
                _rotate(session, pid)


def checkpoint(session: Session) -> dict[str, Any]:
    """A signed checkpoint of the chain head, to keep somewhere the vault's host can't rewrite."""
    rows = list(session.store.audit_rows())
    head = rows[-1]
    return audit.make_checkpoint(
        session.vault.vault_id, head.seq, head.hash, session.user_id, session.sign_bytes
    )
