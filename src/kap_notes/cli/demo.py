"""``kap-notes demo DIR``: a demo clinic with synthetic patients."""

from __future__ import annotations

import argparse

from kap_notes.cli.context import Context, kdf_floor
from kap_notes.service.demo import DEMO_USERS, create_demo
from kap_notes.vault.crypto import DEFAULT_KDF, FAST_KDF


def cmd_demo(ctx: Context) -> int:
    floor = kdf_floor()
    clinic = create_demo(
        ctx.args.dir, kdf=FAST_KDF if floor == FAST_KDF else DEFAULT_KDF, kdf_floor=floor
    )
    users = {
        name: {"role": role.value, "passphrase": pw} for name, (role, pw) in DEMO_USERS.items()
    }
    count = sum(len(p) for p in clinic.patients.values())
    lines = [
        f"Demo clinic created at {clinic.location} — synthetic patients only.",
        "",
        "Users (demo passphrases):",
        *(f"  {n:6} {u['role']:11} {u['passphrase']}" for n, u in users.items()),
        "",
        f"{count} patients with a preparation, intention, 6 dosing and 6 integration notes each.",
        f"Break-glass code (normally shown once and sealed): {clinic.break_glass_code}",
        "",
        "Look around:",
        f"  export KAP_NOTES_VAULT={clinic.location}",
        "  KAP_NOTES_USER=tess KAP_NOTES_PASSPHRASE=tess-demo-passphrase .venv/bin/kap-notes "
        "patient list",
        "  KAP_NOTES_USER=sam KAP_NOTES_PASSPHRASE=sam-demo-passphrase .venv/bin/kap-notes "
        "note list PATIENT_ID",
        "  .venv/bin/kap-notes audit verify",
    ]
    ctx.emit(
        {
            "vault": clinic.location,
            "users": users,
            "patients": clinic.patients,
            "break_glass_code": clinic.break_glass_code,
        },
        "\n".join(lines),
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="create a demo clinic with synthetic patients")
    p.add_argument("dir", help="where to create the demo vault (must not exist yet)")
    p.set_defaults(func=cmd_demo)
