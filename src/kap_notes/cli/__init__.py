"""``kap-notes``: the command line admins and scripts use.

Errors print one line on stderr and exit non-zero, never a traceback:
1 = the request could not be done (message says why), 2 = usage, 3 = verification failed
(each error class's ``exit_code`` in :mod:`kap_notes.errors`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from kap_notes import __version__
from kap_notes.cli import (
    access,
    admin,
    compile,
    demo,
    export,
    notes,
    records,
    review,
    settings,
    templates,
)
from kap_notes.cli.context import Context, report_error
from kap_notes.errors import KapError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree."""
    parser = argparse.ArgumentParser(
        prog="kap-notes",
        description="Encrypted KAP session notes. Secrets come from prompts, or from "
        "KAP_NOTES_PASSPHRASE / KAP_NOTES_NEW_PASSPHRASE for automation.",
    )
    parser.add_argument("--version", action="version", version=f"kap-notes {__version__}")
    parser.add_argument(
        "--vault",
        metavar="DIR|URL",
        help="vault directory, or a postgresql:// URL (or KAP_NOTES_VAULT)",
    )
    parser.add_argument("--user", metavar="NAME", help="who you are (or KAP_NOTES_USER)")
    parser.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    admin.register(sub)
    access.register(sub)
    records.register(sub)
    notes.register(sub)
    review.register(sub)
    templates.register(sub)
    demo.register(sub)
    compile.register(sub)
    export.register(sub)
    settings.register(sub)
    _add_output_flag(parser, top=True)
    return parser


def _add_output_flag(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """Let ``--json`` (output) also follow any command that has no ``--json FILE`` of its own."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _add_output_flag(child)
            return
    if not top and "--json" not in parser._option_string_actions:
        parser.add_argument(
            "--json", action="store_true", default=argparse.SUPPRESS, help="JSON on stdout"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = build_parser().parse_args(argv)
    if not isinstance(getattr(args, "json", False), bool):
        args.json = False
    try:
        status: int = args.func(Context(args))
    except KapError as exc:
        return report_error(exc)
    except KeyboardInterrupt:
        sys.stderr.write("kap-notes: interrupted; nothing was half-written\n")
        return 130
    except Exception as exc:  # a bug: still one line, the traceback only on request
        if os.environ.get("KAP_NOTES_DEBUG") == "1":
            raise
        sys.stderr.write(
            f"kap-notes: internal error ({type(exc).__name__}: {exc}); "
            "rerun with KAP_NOTES_DEBUG=1 and report it\n"
        )
        return 70
    return status


if __name__ == "__main__":
    sys.exit(main())
