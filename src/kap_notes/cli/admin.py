"""Admin commands: init, users, access, rotation, shredding, break-glass and the audit chain."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from kap_notes.cli import secrets
from kap_notes.cli.context import Context, kdf_floor, read_json_file
from kap_notes.model.patient import InvalidInput
from kap_notes.model.people import Role

# Service and vault modules load inside the commands, so that the command line starts quickly.


def cmd_init(ctx: Context) -> int:
    from kap_notes.vault.crypto import DEFAULT_KDF, FAST_KDF  # noqa: PLC0415
    from kap_notes.vault.vault import Vault  # noqa: PLC0415

    args = ctx.args
    if args.fast_kdf and kdf_floor() != FAST_KDF:
        raise InvalidInput(["--fast-kdf is for tests and demos: also set KAP_NOTES_FAST_KDF=1"])
    admin = args.admin or ctx.args.user or os.environ.get("KAP_NOTES_USER") or "admin"
    created = Vault.init(
        ctx.vault_path,
        admin_name=admin,
        admin_passphrase=secrets.new_passphrase(admin),
        kdf=FAST_KDF if args.fast_kdf else DEFAULT_KDF,
        kdf_floor=kdf_floor(),
    )
    data = {
        "vault": created.vault.location,
        "vault_id": created.vault.vault_id,
        "admin": admin,
        "break_glass_code": created.break_glass_code,
        "recovery_code": created.recovery_code,
    }
    ctx.emit(
        data,
        f"Created vault {created.vault.vault_id} at {created.vault.location}; admin: {admin}\n\n"
        "SHOWN ONCE — print these, seal them, store them apart from this computer:\n"
        f"  Break-glass code (opens every patient in an emergency): {created.break_glass_code}\n"
        f"  {admin}'s recovery code (one use, replaces a lost passphrase): {created.recovery_code}",
    )
    return 0


def cmd_user_add(ctx: Context) -> int:
    from kap_notes.vault import access  # noqa: PLC0415

    session = ctx.session()
    role = Role(ctx.args.role)
    user_id, recovery = access.add_user(
        session,
        ctx.args.name,
        role,
        secrets.new_passphrase(ctx.args.name),
        display_name=ctx.args.display_name,
        credentials=ctx.args.credentials,
    )
    data = {
        "user_id": user_id,
        "name": ctx.args.name,
        "label": session.user_label(user_id),
        "role": role.value,
        "recovery_code": recovery,
    }
    ctx.emit(
        data,
        f"Added {role.value} {ctx.args.name} ({user_id}), shown as {data['label']}.\n"
        f"Give them their one-time recovery code, shown once: {recovery}",
    )
    return 0


def cmd_user_list(ctx: Context) -> int:
    users = ctx.vault().store.list_users()
    data = [{"user_id": u.user_id, "name": u.name, "role": u.role} for u in users]
    ctx.emit(data, "\n".join(f"{u.name:20} {u.role:11} {u.user_id}" for u in users))
    return 0


def cmd_user_passwd(ctx: Context) -> int:
    session = ctx.session()
    recovery = session.change_passphrase(secrets.new_passphrase(session.user_row.name))
    ctx.emit(
        {"user": session.user_row.name, "recovery_code": recovery},
        f"Passphrase changed. Your new recovery code, shown once: {recovery}",
    )
    return 0


def cmd_user_recover(ctx: Context) -> int:
    name = ctx.user_name
    code = secrets.secret("KAP_NOTES_RECOVERY_CODE", f"Recovery code for {name}")
    _, recovery = ctx.vault().recover(name, code, secrets.new_passphrase(name))
    ctx.emit(
        {"user": name, "recovery_code": recovery},
        f"Passphrase reset with the recovery code (now used up). New recovery code: {recovery}",
    )
    return 0


def cmd_supervise(ctx: Context) -> int:
    from kap_notes.vault import access  # noqa: PLC0415

    queued = access.assign_supervisor(ctx.session(), ctx.args.supervisor, ctx.args.therapist)
    ctx.emit(
        {"supervisor": ctx.args.supervisor, "therapist": ctx.args.therapist, "pending": queued},
        f"{ctx.args.supervisor} proposed as {ctx.args.therapist}'s supervisor; "
        f"{ctx.args.therapist} accepts with `kap-notes accept-supervisor {ctx.args.supervisor}` "
        f"({queued} patient(s) would be shared).",
    )
    return 0


def cmd_grant(ctx: Context) -> int:
    from kap_notes.vault import access  # noqa: PLC0415

    state = access.grant(ctx.session(), ctx.args.patient, ctx.args.to)
    ctx.emit(
        {"patient": ctx.args.patient, "user": ctx.args.to, "state": state},
        f"Access for {ctx.args.to} to {ctx.args.patient}: {state}",
    )
    return 0


def cmd_revoke(ctx: Context) -> int:
    from kap_notes.vault import access  # noqa: PLC0415

    epoch = access.revoke(ctx.session(), ctx.args.patient, ctx.args.user_to_revoke)
    ctx.emit(
        {"patient": ctx.args.patient, "user": ctx.args.user_to_revoke, "epoch": epoch},
        f"Revoked {ctx.args.user_to_revoke}; patient key rotated to epoch {epoch}.",
    )
    return 0


def cmd_rotate(ctx: Context) -> int:
    from kap_notes.vault import access  # noqa: PLC0415

    epoch = access.rotate(ctx.session(), ctx.args.patient)
    ctx.emit({"patient": ctx.args.patient, "epoch": epoch}, f"New key epoch {epoch}.")
    return 0


def cmd_shred(ctx: Context) -> int:
    from kap_notes.vault import access  # noqa: PLC0415

    if not ctx.args.yes:
        raise InvalidInput(["shredding is permanent: add --yes to confirm"])
    access.shred(ctx.session(), ctx.args.patient)
    ctx.emit(
        {"patient": ctx.args.patient, "shredded": True},
        f"Patient {ctx.args.patient} crypto-shredded.",
    )
    return 0


def cmd_break_glass(ctx: Context) -> int:
    from kap_notes.vault import access  # noqa: PLC0415

    session = ctx.session()
    code = secrets.secret("KAP_NOTES_BREAK_GLASS_CODE", "Break-glass code")
    record = access.break_glass(session, code, ctx.args.patient, ctx.args.reason)
    ctx.emit(
        {"patient": ctx.args.patient, "user": session.user_row.name, "reason_record": record},
        f"Emergency access to {ctx.args.patient} granted to {session.user_row.name}; "
        "this use and its reason are in the audit log.",
    )
    return 0


def cmd_audit_verify(ctx: Context) -> int:
    from kap_notes.vault import audit  # noqa: PLC0415

    vault = ctx.vault()
    checkpoints = [read_json_file(p) for p in ctx.args.checkpoint or []]
    report = audit.verify_chain(vault.store, vault.vault_id, checkpoints=checkpoints)
    data = {
        "ok": report.ok,
        "entries": report.entries,
        "records": report.records,
        "problems": report.problems,
    }
    human = (
        f"OK: {report.entries} audit entries and {report.records} records verify."
        if report.ok
        else "FAILED:\n" + "\n".join(f"  - {p}" for p in report.problems)
    )
    ctx.emit(data, human)
    return 0 if report.ok else 3


def cmd_audit_report(ctx: Context) -> int:
    session = ctx.session()
    session.require_role(Role.ADMIN, Role.SUPERVISOR, Role.THERAPIST)
    names = {uid: u.name for uid, u in session.policy.users.items()}
    rows = [
        {
            "seq": r.seq,
            "ts": r.ts,
            "user": names.get(r.actor, r.actor),
            "action": r.action,
            "record": r.record,
        }
        for r in session.store.audit_rows(ctx.args.patient)
    ]
    session.log("read", ctx.args.patient)
    human = "\n".join(
        f"{r['ts']}  {r['user']:16} {r['action']:12} {r['record'] or ''}" for r in rows
    )
    ctx.emit(rows, human or "no access recorded")
    return 0


def cmd_audit_checkpoint(ctx: Context) -> int:
    from kap_notes.vault import access  # noqa: PLC0415

    checkpoint = access.checkpoint(ctx.session())
    text = json.dumps(checkpoint, indent=2, sort_keys=True)
    if ctx.args.out:
        Path(ctx.args.out).write_text(text + "\n", encoding="utf-8")
    ctx.emit(checkpoint, text)
    return 0


def cmd_pg_roles(ctx: Context) -> int:
    from kap_notes.vault import pg_roles  # noqa: PLC0415

    report = pg_roles.setup_runtime_role(ctx.vault_path, ctx.args.runtime)
    lines = [f"  {t}: {', '.join(p)}" for t, p in report.granted.items()]
    ctx.emit(
        report.as_dict(),
        f"{report.database}: tables owned by {report.owner}; the runtime role {report.runtime} "
        "may now only:\n" + "\n".join(lines) + "\nGive servers the runtime role's URL, "
        "never the owner's; shred and migrations run as the owner.",
    )
    return 0


def _register_pg_roles(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "pg-roles",
        help="PostgreSQL: give the runtime role (servers, kernels) append-only access "
        "(run with the owner role's --vault URL)",
    )
    p.add_argument("runtime", help="the existing login role clinicians' servers connect as")
    p.set_defaults(func=cmd_pg_roles)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the admin commands to the top-level parser."""
    p = sub.add_parser("init", help="create a vault and its first admin")
    p.add_argument("--admin", help="the first admin's user name (default: --user or 'admin')")
    p.add_argument("--fast-kdf", action="store_true", help="weak KDF for tests and demos only")
    p.set_defaults(func=cmd_init)

    user = sub.add_parser("user", help="manage users").add_subparsers(dest="action", required=True)
    p = user.add_parser("add", help="add a user (admin)")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--display-name", help='shown beside signatures, e.g. "Tess Taylor"')
    p.add_argument("--credentials", help='shown after the display name, e.g. "LCSW"')
    p.set_defaults(func=cmd_user_add)
    user.add_parser("list", help="list users").set_defaults(func=cmd_user_list)
    user.add_parser("passwd", help="change your passphrase").set_defaults(func=cmd_user_passwd)
    p = user.add_parser("recover", help="reset a passphrase with the one-time recovery code")
    p.set_defaults(func=cmd_user_recover)
    p = user.add_parser("supervise", help="assign a supervisor to a therapist (admin)")
    p.add_argument("supervisor")
    p.add_argument("therapist")
    p.set_defaults(func=cmd_supervise)

    p = sub.add_parser("grant", help="give a user access to a patient")
    p.add_argument("patient")
    p.add_argument("to", metavar="USER")
    p.set_defaults(func=cmd_grant)
    p = sub.add_parser("revoke", help="remove a user's access to a patient and rotate its key")
    p.add_argument("patient")
    p.add_argument("user_to_revoke", metavar="USER")
    p.set_defaults(func=cmd_revoke)
    p = sub.add_parser("rotate", help="start a new key epoch for a patient")
    p.add_argument("patient")
    p.set_defaults(func=cmd_rotate)
    p = sub.add_parser("shred", help="crypto-shred a patient after retention (admin)")
    p.add_argument("patient")
    p.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    p.set_defaults(func=cmd_shred)
    p = sub.add_parser("break-glass", help="emergency access to a patient (audited)")
    p.add_argument("patient")
    p.add_argument("--reason", required=True, help="why (stored encrypted, audited)")
    p.set_defaults(func=cmd_break_glass)

    _register_pg_roles(sub)
    aud = sub.add_parser("audit", help="the audit chain").add_subparsers(
        dest="action", required=True
    )
    p = aud.add_parser("verify", help="verify the chain, checkpoints and every record")
    p.add_argument("--checkpoint", action="append", help="a checkpoint file kept off-box")
    p.set_defaults(func=cmd_audit_verify)
    p = aud.add_parser("report", help="who accessed a patient, and when")
    p.add_argument("patient")
    p.set_defaults(func=cmd_audit_report)
    p = aud.add_parser("checkpoint", help="print a signed checkpoint of the chain head")
    p.add_argument("--out", help="also write it to this file")
    p.set_defaults(func=cmd_audit_checkpoint)
