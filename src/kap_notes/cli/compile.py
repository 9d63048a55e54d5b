"""``kap-notes compile``: progress notebooks (stored encrypted) and the clinic overview.

- ``compile PATIENT``        compile and store one patient's notebook (only if notes changed)
- ``compile PATIENT --stdout`` also write the notebook JSON to stdout, for pipelines
- ``compile --all``          every patient you can open, with a progress bar on stderr
- ``compile --overview``     the clinic overview notebook JSON on stdout (not stored)
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from kap_notes.model.patient import InvalidInput

if TYPE_CHECKING:
    from kap_notes.cli.context import Context

# kap_notes.compile (nbformat, pandas, matplotlib) and rich load inside the commands that use
# them, so that the rest of the command line starts quickly.


def _result(patient_id: str, record_id: str, changed: bool) -> dict[str, Any]:
    return {"patient_id": patient_id, "record_id": record_id, "changed": changed}


def _one(ctx: Context) -> int:
    from kap_notes.compile import compile_patient  # noqa: PLC0415

    args = ctx.args
    result = compile_patient(ctx.session(), args.patient, include_process=args.include_process)
    if args.stdout:
        sys.stdout.write(result.notebook_json)
        return 0
    verb = "Compiled and stored (encrypted)" if result.changed else "Already up to date:"
    ctx.emit(
        _result(args.patient, result.record_id, result.changed),
        f"{verb} progress notebook of {args.patient} (record {result.record_id}).",
    )
    return 0


def _all(ctx: Context) -> int:
    from rich.console import Console  # noqa: PLC0415
    from rich.progress import Progress  # noqa: PLC0415

    from kap_notes.compile import compile_patient  # noqa: PLC0415

    session = ctx.session()
    patients = [p for p in session.readable_patients() if session.has_access(p)]
    done = []
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("Compiling progress notebooks", total=len(patients))
        for patient_id in patients:
            result = compile_patient(session, patient_id, include_process=ctx.args.include_process)
            done.append(_result(patient_id, result.record_id, result.changed))
            progress.advance(task)
    changed = sum(d["changed"] for d in done)
    ctx.emit(done, f"{len(done)} notebooks: {changed} rebuilt, {len(done) - changed} up to date.")
    return 0


def cmd_compile(ctx: Context) -> int:
    args = ctx.args
    chosen = [bool(args.patient), args.all, args.overview]
    if sum(chosen) != 1:
        raise InvalidInput(["say what to compile: a PATIENT id, --all, or --overview"])
    if args.stdout and not args.patient:
        raise InvalidInput(["--stdout goes with one PATIENT (--overview always prints)"])
    if args.overview:
        from kap_notes.compile import overview_notebook  # noqa: PLC0415

        sys.stdout.write(overview_notebook(ctx.session()))
        return 0
    return _all(ctx) if args.all else _one(ctx)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``compile`` to the top-level parser."""
    p = sub.add_parser("compile", help="compile progress notebooks (stored encrypted)")
    p.add_argument("patient", nargs="?", help="patient id (pt_...)")
    p.add_argument("--all", action="store_true", help="every patient you can open")
    p.add_argument(
        "--overview", action="store_true", help="clinic overview notebook JSON on stdout"
    )
    p.add_argument("--stdout", action="store_true", help="also print the notebook JSON")
    p.add_argument(
        "--include-process",
        action="store_true",
        help="include psychotherapy process notes (left out by default)",
    )
    p.set_defaults(func=cmd_compile)
