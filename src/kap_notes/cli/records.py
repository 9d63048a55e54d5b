"""Clinical commands: patients and notes."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from kap_notes.cli.context import Context, read_json_file
from kap_notes.service import notes, patients


def cmd_patient_add(ctx: Context) -> int:
    patient_id = patients.add_patient(ctx.session(), read_json_file(ctx.args.json_file))
    ctx.emit({"patient_id": patient_id}, patient_id)
    return 0


def cmd_patient_list(ctx: Context) -> int:
    rows = patients.list_patients(ctx.session())
    ctx.emit(
        [asdict(r) for r in rows],
        "\n".join(f"{r.chart_code}  {r.name:28} {r.date_of_birth}  {r.patient_id}" for r in rows)
        or "no patients you can open",
    )
    return 0


def cmd_patient_show(ctx: Context) -> int:
    patient = patients.show_patient(ctx.session(), ctx.args.patient)
    data = {"patient_id": ctx.args.patient, **asdict(patient)}
    ctx.emit(data, "\n".join(f"{k:14} {v}" for k, v in data.items()))
    return 0


def cmd_note_put(ctx: Context) -> int:
    ref = notes.put_note(
        ctx.session(),
        ctx.args.patient,
        read_json_file(ctx.args.json_file),
        note_id=ctx.args.note,
        expected_version=ctx.args.version,
    )
    ctx.emit(asdict(ref), ref.note_id)
    return 0


def cmd_note_get(ctx: Context) -> int:
    note = notes.get_note(ctx.session(), ctx.args.note)
    data = asdict(note)
    ctx.emit(data, "\n".join(f"{k:14} {v}" for k, v in data.items()))
    return 0


def cmd_note_list(ctx: Context) -> int:
    rows = notes.list_notes(ctx.session(), ctx.args.patient)
    data = [
        {
            "note_id": n.note_id,
            "version": n.version,
            "form": n.form,
            "status": n.status,
            "session_date": n.session_date,
        }
        for n in rows
    ]
    human = "\n".join(
        f"{n['session_date'] or '-':10}  {n['form']:12} {n['status']:9} v{n['version']}  "
        f"{n['note_id']}"
        for n in data
    )
    ctx.emit(data, human or "no notes yet")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the patient and note commands to the top-level parser."""
    pat = sub.add_parser("patient", help="patients").add_subparsers(dest="action", required=True)
    p = pat.add_parser("add", help="register a patient (name, date_of_birth, sex, contact)")
    p.add_argument("--json", dest="json_file", required=True, metavar="FILE")
    p.set_defaults(func=cmd_patient_add)
    pat.add_parser("list", help="patients you can open").set_defaults(func=cmd_patient_list)
    p = pat.add_parser("show", help="a patient's demographics")
    p.add_argument("patient")
    p.set_defaults(func=cmd_patient_show)

    note = sub.add_parser("note", help="session notes").add_subparsers(dest="action", required=True)
    p = note.add_parser("put", help="save a draft note from a JSON file")
    p.add_argument("patient")
    p.add_argument("--json", dest="json_file", required=True, metavar="FILE")
    p.add_argument("--note", help="update this draft instead of creating a note")
    p.add_argument("--version", type=int, help="the version you are updating (conflict check)")
    p.set_defaults(func=cmd_note_put)
    p = note.add_parser("get", help="show a note")
    p.add_argument("note")
    p.set_defaults(func=cmd_note_get)
    p = note.add_parser("list", help="a patient's notes")
    p.add_argument("patient")
    p.set_defaults(func=cmd_note_list)
