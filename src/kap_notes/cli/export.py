"""Export commands: a note or a whole record as a protected PDF, a record as a FHIR R4 Bundle,
the clinic's de-identified cohort as CSV files."""

from __future__ import annotations

import argparse
import json
import os
import sys
import zoneinfo
from typing import TYPE_CHECKING

from kap_notes.model.patient import InvalidInput

if TYPE_CHECKING:
    from kap_notes.cli.context import Context

# kap_notes.export (typst, pypdf, pandas) loads inside the commands, so that the rest of the
# command line starts quickly.


def _write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` (``-``: stdout), readable by the owner only."""
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _password_from(path: str) -> str:
    from kap_notes.export.protect import MIN_PASSPHRASE_LENGTH  # noqa: PLC0415

    try:
        with open(path, encoding="utf-8") as handle:
            value = handle.readline().rstrip("\r\n")
    except FileNotFoundError as exc:
        raise InvalidInput([f"{path}: no such password file"]) from exc
    if len(value) < MIN_PASSPHRASE_LENGTH:
        raise InvalidInput(
            [f"{path}: line 1 must be a passphrase of {MIN_PASSPHRASE_LENGTH}+ characters"]
        )
    return value


def cmd_export_pdf(ctx: Context) -> int:
    from kap_notes.export import export_note_pdf, export_record_pdf  # noqa: PLC0415

    session = ctx.session()
    password = _password_from(ctx.args.password_file) if ctx.args.password_file else None
    target = ctx.args.target
    if target in session.readable_patients():
        result = export_record_pdf(
            session, target, passphrase=password, include_process=ctx.args.include_process
        )
    else:
        result = export_note_pdf(
            session, target, passphrase=password, include_process=ctx.args.include_process
        )
    _write(ctx.args.out, result.pdf)
    data = {"out": ctx.args.out, "patient_id": result.patient_id, "note_id": result.note_id}
    if result.generated_passphrase:
        line = f"PDF passphrase (shown once, not stored): {result.passphrase}\n"
        if ctx.args.out == "-" or ctx.args.json:
            sys.stderr.write(line)
        else:
            sys.stdout.write(line)
    if ctx.args.out != "-":
        ctx.emit(data, f"wrote {ctx.args.out} (AES-256 protected PDF)")
    return 0


def cmd_export_fhir(ctx: Context) -> int:
    from kap_notes.export import export_fhir_bundle  # noqa: PLC0415

    try:
        zone = zoneinfo.ZoneInfo(ctx.args.timezone) if ctx.args.timezone else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            [f"unknown time zone {ctx.args.timezone!r} (e.g. Europe/Berlin)"]
        ) from exc
    bundle = export_fhir_bundle(
        ctx.session(), ctx.args.patient, include_process=ctx.args.include_process, zone=zone
    )
    _write(ctx.args.out, (json.dumps(bundle, indent=2, ensure_ascii=False) + "\n").encode())
    if ctx.args.out != "-":
        sys.stderr.write(
            f"note: {ctx.args.out} holds the record unencrypted (FHIR JSON, owner-only "
            "permissions); keep it on encrypted storage and delete it after the transfer\n"
        )
        ctx.emit(
            {"out": ctx.args.out, "entries": len(bundle["entry"])},
            f"wrote {ctx.args.out} ({len(bundle['entry'])} FHIR resources)",
        )
    return 0


def cmd_export_cohort(ctx: Context) -> int:
    from kap_notes.compile.cohort import build_cohort, write_cohort  # noqa: PLC0415

    cohort = build_cohort(ctx.session())
    written = write_cohort(cohort, ctx.args.out)
    patients = len(cohort.frames["patients"])
    ctx.emit(
        {"out": ctx.args.out, "files": [p.name for p in written], "patients": patients,
         "k": cohort.k, "left_out": cohort.dropped},
        f"wrote {len(written)} files to {ctx.args.out}: {patients} patients, k = {cohort.k}, "
        f"{cohort.dropped} left out by small-cell suppression (see README.txt)",
    )  # fmt: skip
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the export commands to the top-level parser."""
    exp = sub.add_parser(
        "export", help="export to PDF, FHIR or a de-identified cohort"
    ).add_subparsers(dest="action", required=True)
    p = exp.add_parser("pdf", help="a note or a whole record as an AES-256 protected PDF")
    p.add_argument("target", metavar="PATIENT|NOTE", help="a patient id (whole record) or note id")
    p.add_argument(
        "--out", required=True, metavar="FILE", help="where to write the PDF (- = stdout)"
    )
    p.add_argument(
        "--password-file",
        metavar="F",
        help="read the PDF passphrase from the first line of F (default: a random one, shown once)",
    )
    p.add_argument(
        "--include-process", action="store_true", help="include psychotherapy process notes"
    )
    p.set_defaults(func=cmd_export_pdf)
    p = exp.add_parser("fhir", help="a patient's record as a FHIR R4 Bundle (JSON, unencrypted)")
    p.add_argument("patient")
    p.add_argument(
        "--out", required=True, metavar="FILE", help="where to write the JSON (- = stdout)"
    )
    p.add_argument(
        "--include-process", action="store_true", help="include psychotherapy process notes"
    )
    p.add_argument(
        "--timezone", metavar="ZONE", help="zone of session times (default: this machine's)"
    )
    p.set_defaults(func=cmd_export_fhir)
    p = exp.add_parser(
        "cohort",
        help="the de-identified cohort of your patients as CSV files (supervisors and admins)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the CSVs and README")
    p.set_defaults(func=cmd_export_cohort)
