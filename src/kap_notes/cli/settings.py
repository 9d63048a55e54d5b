"""``kap-notes settings``: the clinic settings kept (signed, versioned) in the vault.

- ``settings show``                 the settings in force: values, version, who set them and when
- ``settings show --version N``     an earlier version (e.g. the one a signed note's flags used)
- ``settings history``              every version, oldest first
- ``settings set NAME=VALUE ...``   an admin signs a new version (the rest keep their values)

Thresholds only flag values for review: they are clinic settings, never clinical advice.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from kap_notes.model.patient import InvalidInput

if TYPE_CHECKING:
    from kap_notes.cli.context import Context
    from kap_notes.service.settings import ClinicSettingsInfo

# The vault and service load inside the commands, so that the command line starts quickly.


def _human(info: ClinicSettingsInfo) -> str:
    who = (
        f"set by {info.changed_by} at {info.changed_at}"
        if info.changed_by
        else "the defaults: no admin has set any"
    )
    lines = [f"Clinic settings version {info.version} ({who})"]
    lines += [f"  {line}" for line in info.settings.describe()]
    return "\n".join(lines)


def cmd_show(ctx: Context) -> int:
    from kap_notes.service import settings  # noqa: PLC0415

    session = ctx.session()
    version = ctx.args.settings_version
    info = settings.current(session) if version is None else settings.at_version(session, version)
    ctx.emit(info.as_dict(), _human(info))
    return 0


def cmd_history(ctx: Context) -> int:
    from kap_notes.service import settings  # noqa: PLC0415

    found = settings.history(ctx.session())
    ctx.emit(
        [i.as_dict() for i in found],
        "\n".join(_human(i) for i in found) or "No clinic settings signed yet: the defaults apply.",
    )
    return 0


def parse_assignments(pairs: list[str]) -> dict[str, Any]:
    """``["systolic_alert_mmhg=140", ...]`` → ``{"systolic_alert_mmhg": 140}`` (numbers where
    they read as numbers, else text; the service checks names, types and ranges)."""
    values: dict[str, Any] = {}
    problems = []
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            problems.append(f"{pair!r}: write NAME=VALUE, e.g. systolic_alert_mmhg=140")
            continue
        values[name.strip()] = _value(raw.strip())
    if problems:
        raise InvalidInput(problems)
    return values


def _value(raw: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    return raw


def cmd_set(ctx: Context) -> int:
    from kap_notes.service import settings  # noqa: PLC0415

    values = parse_assignments(ctx.args.assignments)
    info, changed = settings.change(ctx.session(), values)
    head = "Signed a new version." if changed else "Nothing changed: those values are in force."
    ctx.emit({**info.as_dict(), "changed": changed}, f"{head}\n{_human(info)}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``settings`` to the top-level parser."""
    settings = sub.add_parser(
        "settings", help="clinic settings (alert thresholds; flags for review only)"
    ).add_subparsers(dest="action", required=True)
    p = settings.add_parser("show", help="the clinic settings in force, or an earlier version")
    p.add_argument(
        "--version", dest="settings_version", type=int, metavar="N", help="show version N"
    )
    p.set_defaults(func=cmd_show)
    p = settings.add_parser("history", help="every version, who set it and when")
    p.set_defaults(func=cmd_history)
    p = settings.add_parser("set", help="an admin sets clinic settings (signed, audited)")
    p.add_argument("assignments", nargs="+", metavar="NAME=VALUE")
    p.set_defaults(func=cmd_set)
