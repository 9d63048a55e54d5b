"""Access requests and their approval, supervision acceptance and the vault upgrade."""

from __future__ import annotations

import argparse

from kap_notes.cli import secrets
from kap_notes.cli.context import Context

# Service and vault modules load inside the commands, so that the command line starts quickly.


def cmd_requests(ctx: Context) -> int:
    from kap_notes.vault import access  # noqa: PLC0415

    session = ctx.session()
    rows = [
        {"patient": r.patient_id, "user": r.user_name, "requested_by": r.requested_by}
        for r in access.pending_requests(session)
    ]
    proposed = access.proposed_supervisors(session)
    lines = [
        f"{r['user']} asks for access to {r['patient']} (requested by {r['requested_by']}): "
        f"kap-notes approve {r['patient']} {r['user']}"
        for r in rows
    ] + [f"{s} was proposed as your supervisor: kap-notes accept-supervisor {s}" for s in proposed]
    ctx.emit(
        {"requests": rows, "proposed_supervisors": proposed},
        "\n".join(lines) or "nothing waits for you",
    )
    return 0


def cmd_approve(ctx: Context) -> int:
    from kap_notes.vault import access  # noqa: PLC0415

    access.approve_grant(ctx.session(), ctx.args.patient, ctx.args.to)
    ctx.emit(
        {"patient": ctx.args.patient, "user": ctx.args.to, "state": "granted"},
        f"{ctx.args.to} can now read {ctx.args.patient}.",
    )
    return 0


def cmd_deny(ctx: Context) -> int:
    from kap_notes.vault import access  # noqa: PLC0415

    access.deny_grant(ctx.session(), ctx.args.patient, ctx.args.to)
    ctx.emit(
        {"patient": ctx.args.patient, "user": ctx.args.to, "state": "denied"},
        f"Request of {ctx.args.to} for {ctx.args.patient} declined.",
    )
    return 0


def cmd_accept_supervisor(ctx: Context) -> int:
    from kap_notes.vault import access  # noqa: PLC0415

    shared = access.accept_supervisor(ctx.session(), ctx.args.supervisor)
    ctx.emit(
        {"supervisor": ctx.args.supervisor, "patients": shared},
        f"{ctx.args.supervisor} now supervises you and reads your {shared} patient(s).",
    )
    return 0


def cmd_upgrade(ctx: Context) -> int:
    from kap_notes.vault.upgrade import upgrade  # noqa: PLC0415

    name = ctx.user_name
    rotated = upgrade(ctx.vault(), name, secrets.passphrase(name))
    ctx.emit(
        {"upgraded": True, "patients_rotated": rotated},
        f"Vault upgraded to signed access rules; {rotated} patient key(s) rotated. Pending "
        "grants from the old release were dropped: ask for them again.",
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the access-approval commands to the top-level parser."""
    sub.add_parser("requests", help="access requests and supervision awaiting you").set_defaults(
        func=cmd_requests
    )
    for name, func, what in (
        ("approve", cmd_approve, "approve a request for access (treating therapist)"),
        ("deny", cmd_deny, "decline a request for access (treating therapist)"),
    ):
        p = sub.add_parser(name, help=what)
        p.add_argument("patient")
        p.add_argument("to", metavar="USER")
        p.set_defaults(func=func)
    p = sub.add_parser("accept-supervisor", help="accept the supervisor an admin proposed")
    p.add_argument("supervisor")
    p.set_defaults(func=cmd_accept_supervisor)
    p = sub.add_parser("upgrade", help="upgrade a vault made by release 1 (its first admin)")
    p.set_defaults(func=cmd_upgrade)
