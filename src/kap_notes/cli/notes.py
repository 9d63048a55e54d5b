"""Note commands: put (validated against its template), get, list, sign, addend, revise,
discard (a draft, by its author)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

from kap_notes.cli import secrets
from kap_notes.cli.context import Context, read_json_file
from kap_notes.model.patient import InvalidInput

# Service and vault modules load inside the commands, so that the command line starts quickly.


def cmd_note_put(ctx: Context) -> int:
    from kap_notes.service import lifecycle, notes  # noqa: PLC0415

    form, answers = notes.note_input(read_json_file(ctx.args.json_file))
    saved = lifecycle.save_draft(
        ctx.session(),
        ctx.args.patient,
        form,
        answers,
        note_id=ctx.args.note,
        expected_version=ctx.args.version,
        refuse_wrong_values=True,
    )
    issues = [i.as_dict() for i in saved.assessment.validation.issues]
    for issue in issues:
        sys.stderr.write(f"note: {issue['message']} ({issue['severity']}, needed to sign)\n")
    ctx.emit({**asdict(saved.ref), "issues": issues}, saved.ref.note_id)
    return 0


def cmd_note_get(ctx: Context) -> int:
    from kap_notes.service import lifecycle  # noqa: PLC0415

    details = lifecycle.note_details(ctx.session(), ctx.args.note)
    note, derived, view = details.note, details.derived, details.view
    data = details.as_dict()
    human = [f"{note.form} note {note.note_id} v{note.version} ({view.status})"]
    human += [f"  {k}: {v}" for k, v in note.answers.items()]
    human += [f"  = {k}: {v}" for k, v in derived.computed.items()]
    human += [f"  ! {f.get('message', '')}" for f in derived.flags]
    if derived.settings_version is not None:
        human.append(f"  (flags under clinic settings version {derived.settings_version})")
    human += [f"  + addendum by {a.author} at {a.created_at}: {a.text}" for a in view.addenda]
    human += [f"  ~ {r.decision} by {r.by} at {r.at}: {r.text}" for r in view.reviews]
    ctx.emit(data, "\n".join(human))
    return 0


def cmd_note_list(ctx: Context) -> int:
    from kap_notes.service import operations  # noqa: PLC0415

    data = operations.run(
        ctx.session(),
        "list_notes",
        {"patient_id": ctx.args.patient, "include_process": ctx.args.process},
    )
    human = "\n".join(
        f"{n['session_date'] or '-':10}  {n['form']:12} {n['status']:10} v{n['version']}  "
        f"{n['note_id']}"
        for n in data
    )
    ctx.emit(data, human or "no notes yet")
    return 0


def cmd_note_sign(ctx: Context) -> int:
    from kap_notes.service import lifecycle  # noqa: PLC0415

    session = ctx.session()
    passphrase = secrets.passphrase(session.user_row.name)  # re-entered to sign
    saved = lifecycle.sign_note(session, ctx.args.note, passphrase)
    ctx.emit(asdict(saved.ref), f"Signed {saved.ref.note_id} (version {saved.ref.version}).")
    return 0


def cmd_note_addend(ctx: Context) -> int:
    from kap_notes.service import lifecycle  # noqa: PLC0415

    if (ctx.args.text is None) == (ctx.args.file is None):
        raise InvalidInput(["give the addendum with --text TEXT or --file FILE"])
    text = ctx.args.text if ctx.args.text is not None else Path(ctx.args.file).read_text("utf-8")
    session = ctx.session()
    passphrase = secrets.passphrase(session.user_row.name)  # re-entered, as to sign
    ref = lifecycle.add_addendum(session, ctx.args.note, text, passphrase=passphrase)
    ctx.emit(asdict(ref), ref.note_id)
    return 0


def cmd_note_discard(ctx: Context) -> int:
    from kap_notes.service import lifecycle  # noqa: PLC0415

    session = ctx.session()
    version = ctx.args.version
    if version is None:
        version = session.get_record(ctx.args.note).version
    ref = lifecycle.discard_draft(session, ctx.args.note, version)
    ctx.emit(
        {**asdict(ref), "discarded": True},
        f"Discarded draft {ref.note_id} (audited; it no longer appears in any list).",
    )
    return 0


def cmd_note_revise(ctx: Context) -> int:
    from kap_notes.service import lifecycle  # noqa: PLC0415

    ref = lifecycle.revise_note(ctx.session(), ctx.args.note)
    ctx.emit(asdict(ref), ref.note_id)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the note commands to the top-level parser."""
    note = sub.add_parser("note", help="session notes").add_subparsers(dest="action", required=True)
    p = note.add_parser("put", help='save a draft from {"form": ..., "answers": {...}}')
    p.add_argument("patient")
    p.add_argument("--json", dest="json_file", required=True, metavar="FILE")
    p.add_argument("--note", help="update this draft instead of creating a note")
    p.add_argument("--version", type=int, help="the version you are updating (conflict check)")
    p.set_defaults(func=cmd_note_put)
    p = note.add_parser("get", help="a note with its computed scores, bands and flags")
    p.add_argument("note")
    p.set_defaults(func=cmd_note_get)
    p = note.add_parser("list", help="a patient's notes with their status")
    p.add_argument("patient")
    p.add_argument("--process", action="store_true", help="include psychotherapy process notes")
    p.set_defaults(func=cmd_note_list)
    p = note.add_parser("sign", help="sign a draft (passphrase re-entered)")
    p.add_argument("note")
    p.set_defaults(func=cmd_note_sign)
    p = note.add_parser("addend", help="add an addendum to a signed note (passphrase re-entered)")
    p.add_argument("note")
    p.add_argument("--text")
    p.add_argument("--file")
    p.set_defaults(func=cmd_note_addend)
    p = note.add_parser("discard", help="discard your own draft (audited; signed notes never)")
    p.add_argument("note")
    p.add_argument("--version", type=int, help="the draft version you are discarding")
    p.set_defaults(func=cmd_note_discard)
    p = note.add_parser("revise", help="start a revision of a returned note")
    p.add_argument("note")
    p.set_defaults(func=cmd_note_revise)
