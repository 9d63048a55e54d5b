"""``kap-notes demo DIR [--lab]``: a demo clinic with synthetic patients, optionally in JupyterLab.

``DIR/vault`` holds the encrypted demo vault and ``DIR/notebooks`` is JupyterLab's root folder.
The demo vault uses the fast test KDF so that it builds in seconds; real vaults never do.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kap_notes.cli.context import Context

# Service and vault modules load inside the commands, so that the command line starts quickly.


def _users_text() -> list[str]:
    from kap_notes.service.demo import DEMO_USERS  # noqa: PLC0415

    return [f"  {n:6} {r.value:11} {pw}" for n, (r, pw) in DEMO_USERS.items()]


def cmd_demo(ctx: Context) -> int:
    from kap_notes.service.demo import DEMO_USERS, create_demo  # noqa: PLC0415
    from kap_notes.vault.crypto import FAST_KDF  # noqa: PLC0415
    from kap_notes.vault.sqlite import DB_NAME  # noqa: PLC0415

    root = Path(ctx.args.dir).resolve()
    vault = root / "vault"
    users = {
        name: {"role": role.value, "passphrase": pw} for name, (role, pw) in DEMO_USERS.items()
    }
    if (vault / DB_NAME).exists():
        lines = [f"Reusing the demo clinic at {root} (delete the folder to start again)."]
        data: dict[str, object] = {"vault": str(vault), "users": users, "created": False}
    else:
        clinic = create_demo(vault, kdf=FAST_KDF, kdf_floor=FAST_KDF)
        count = sum(len(p) for p in clinic.patients.values())
        lines = [
            f"Demo clinic created at {root} — synthetic patients only.",
            f"{count} patients: preparation, intention, six dosing sessions each with integration,",
            "boosters for those who respond; one note returned by the supervisor; some notes",
            "waiting for co-signature.",
            f"Break-glass code (normally sealed away): {clinic.break_glass_code}",
        ]
        data = {
            "vault": str(vault),
            "users": users,
            "patients": clinic.patients,
            "break_glass_code": clinic.break_glass_code,
            "created": True,
        }
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    _warm_font_cache()
    lines += [
        "",
        "Demo users and passphrases (the demo vault uses the fast test KDF):",
        *_users_text(),
    ]
    if not ctx.args.lab:
        lines += [
            "",
            f"Command line: KAP_NOTES_VAULT={vault} KAP_NOTES_FAST_KDF=1 "
            "KAP_NOTES_USER=tess KAP_NOTES_PASSPHRASE=tess-demo-passphrase "
            ".venv/bin/kap-notes patient list",
        ]
        ctx.emit(data, "\n".join(lines))
        return 0
    lines += [
        "",
        f"Starting JupyterLab on 127.0.0.1 (port {ctx.args.port}, or the next free one)...",
    ]
    ctx.emit(data, "\n".join(lines))
    sys.stdout.flush()
    return _run_lab(root, vault, ctx.args.port)


def _warm_font_cache() -> None:
    """Build matplotlib's font cache now (seconds, once per machine), so that the first progress
    notebook a clinician compiles does not pay for it."""
    import matplotlib.font_manager  # noqa: F401, PLC0415 - importing builds and saves the cache


def _run_lab(root: Path, vault: Path, port: int) -> int:
    from kap_notes.cli.demolab import run_lab  # noqa: PLC0415

    env = {**os.environ, "KAP_NOTES_VAULT": str(vault), "KAP_NOTES_FAST_KDF": "1"}
    return run_lab(root, env, port)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="create a demo clinic with synthetic patients")
    p.add_argument("dir", help="demo folder (vault/ and notebooks/ inside; reused if present)")
    p.add_argument(
        "--lab",
        action="store_true",
        help="then start JupyterLab on 127.0.0.1 and print a link that logs straight in",
    )
    p.add_argument(
        "--port",
        type=int,
        default=8888,
        help="JupyterLab port (default 8888; the next free one if busy)",
    )
    p.set_defaults(func=cmd_demo)
