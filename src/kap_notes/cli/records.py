"""Patient commands: register, list, show."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

from kap_notes.cli.context import Context, read_json_file

# Service and vault modules load inside the commands, so that the command line starts quickly.


def cmd_patient_add(ctx: Context) -> int:
    """Register a patient; prints the id (stdout) and the chart code to use for them (stderr)."""
    from kap_notes.service import patients  # noqa: PLC0415

    created = patients.register_patient(ctx.session(), read_json_file(ctx.args.json_file))
    if not ctx.args.json:
        sys.stderr.write(f"chart code: {created.chart_code} (the patient's folder in kap-vault/)\n")
    ctx.emit(asdict(created), created.patient_id)
    return 0


def cmd_patient_list(ctx: Context) -> int:
    from kap_notes.service import patients  # noqa: PLC0415

    rows = patients.list_patients(ctx.session())
    ctx.emit(
        [asdict(r) for r in rows],
        "\n".join(f"{r.chart_code}  {r.name:28} {r.date_of_birth}  {r.patient_id}" for r in rows)
        or "no patients you can open",
    )
    return 0


def cmd_patient_show(ctx: Context) -> int:
    from kap_notes.service import patients  # noqa: PLC0415

    patient = patients.show_patient(ctx.session(), ctx.args.patient)
    data = {"patient_id": ctx.args.patient, **asdict(patient)}
    ctx.emit(data, "\n".join(f"{k:14} {v}" for k, v in data.items()))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the patient commands to the top-level parser."""
    pat = sub.add_parser("patient", help="patients").add_subparsers(dest="action", required=True)
    p = pat.add_parser(
        "add",
        help="register a patient (name, date_of_birth, sex, contact; chart_code is generated "
        "unless given: letters, digits and '-', 3-32 characters, unused)",
    )
    p.add_argument("--json", dest="json_file", required=True, metavar="FILE")
    p.set_defaults(func=cmd_patient_add)
    pat.add_parser("list", help="patients you can open").set_defaults(func=cmd_patient_list)
    p = pat.add_parser("show", help="a patient's demographics")
    p.add_argument("patient")
    p.set_defaults(func=cmd_patient_show)
