"""Supervisor review commands: queue, cosign, return, rates."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from kap_notes.cli import secrets
from kap_notes.cli.context import Context

# Service and vault modules load inside the commands, so that the command line starts quickly.


def cmd_review_queue(ctx: Context) -> int:
    from kap_notes.model.times import clinic_time_zone, format_timestamp  # noqa: PLC0415
    from kap_notes.service import review  # noqa: PLC0415

    session = ctx.session()
    queue = review.review_queue(session)
    zone = clinic_time_zone(session.clinic_settings()[0])
    human = "\n".join(
        f"{q.session_date or '-':10}  {q.form:12} signed {format_timestamp(q.signed_at, zone)}  "
        f"{q.note_id} by {session.user_label(q.author)}"
        for q in queue
    )
    ctx.emit([asdict(q) for q in queue], human or "nothing waiting for your co-signature")
    return 0


def cmd_review_cosign(ctx: Context) -> int:
    from kap_notes.service import review  # noqa: PLC0415

    text = ctx.args.attestation or review.DEFAULT_ATTESTATION
    session = ctx.session()
    passphrase = secrets.passphrase(session.user_row.name)  # re-entered to co-sign
    ref = review.cosign(session, ctx.args.note, text, passphrase=passphrase)
    ctx.emit(asdict(ref), f"Co-signed {ctx.args.note}.")
    return 0


def cmd_review_return(ctx: Context) -> int:
    from kap_notes.service import review  # noqa: PLC0415

    session = ctx.session()
    passphrase = secrets.passphrase(session.user_row.name)  # re-entered to return
    ref = review.return_note(session, ctx.args.note, ctx.args.comment, passphrase=passphrase)
    ctx.emit(asdict(ref), f"Returned {ctx.args.note} to its author with your comment.")
    return 0


def cmd_review_rates(ctx: Context) -> int:
    from kap_notes.service import review  # noqa: PLC0415

    session = ctx.session()
    rates = review.cosign_rates(session)
    names = {uid: u.name for uid, u in session.policy.users.items()}
    data = [{**asdict(r), "author_name": names.get(r.author), "rate": r.rate} for r in rates]
    human = "\n".join(
        f"{names.get(r.author, r.author):16} signed {r.signed:4}  "
        f"co-signed {r.cosigned:4} ({r.rate:.0%})  returned {r.returned:3}  "
        f"median {r.median_hours_to_cosign or 0:.1f} h"
        for r in rates
    )
    ctx.emit(data, human or "no signed notes yet")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the review commands to the top-level parser."""
    rev = sub.add_parser("review", help="supervisor review")
    actions = rev.add_subparsers(dest="action", required=True)
    actions.add_parser("queue", help="notes awaiting your co-signature").set_defaults(
        func=cmd_review_queue
    )
    p = actions.add_parser("cosign", help="co-sign a signed note (passphrase re-entered)")
    p.add_argument("note")
    p.add_argument("--attestation", help="attestation text (default: the clinic's)")
    p.set_defaults(func=cmd_review_cosign)
    p = actions.add_parser(
        "return", help="return a note to its author with a comment (passphrase re-entered)"
    )
    p.add_argument("note")
    p.add_argument("--comment", required=True)
    p.set_defaults(func=cmd_review_return)
    actions.add_parser("rates", help="co-sign rate per therapist").set_defaults(
        func=cmd_review_rates
    )
