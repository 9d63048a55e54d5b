"""A note as a readable HTML preview (review queue, KAP panel, notebook widget).

Title, patient, status, who signed, co-signed, returned and added addenda (display name and
credentials, in the clinic's time zone), then the answers as :mod:`~kap_notes.records.layout`
blocks — every value through the one renderer, :mod:`~kap_notes.records.display`. Every text is
escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from kap_notes.forms import get_template
from kap_notes.model.times import DEFAULT_ZONE, format_timestamp
from kap_notes.records.display import signer_label
from kap_notes.records.layout import blocks_html, note_blocks

__all__ = ["note_preview_html"]

STATUS_TEXT = {
    "draft": "Draft (unsigned)",
    "signed": "Signed, awaiting co-signature",
    "cosigned": "Co-signed",
    "returned": "Returned to its author",
    "superseded": "Superseded by a revision",
}


def _signed_line(what: str, who: str, at: Any, time_zone: str, text: str = "") -> str:
    said = f": {text}" if text else ""
    return (
        '<li class="kap-preview-signature">'
        + html.escape(f"{what} by {who} at {format_timestamp(at, time_zone)}{said}")
        + "</li>"
    )


def note_preview_html(
    note: Mapping[str, Any],
    time_zone: str = DEFAULT_ZONE,
    patient: str = "",
    linked: Mapping[str, str] | None = None,
) -> str:
    """``note`` (as the ``get_note`` operation answers it) as an HTML fragment; ``patient`` (e.g.
    ``Jordan Lee · KAP-S00012``) names whose note it is; ``linked`` shows answers naming another
    note (a note id) as that note's label, e.g. ``Dosing session 2026-01-19``."""
    template = note.get("template") or {}
    definition = get_template(template.get("url") or note["form"], template.get("version"))
    status = str(note.get("status") or "")
    date = note.get("session_date")
    heading = definition.title + (f" · {date}" if date else "")
    parts = [f'<h3 class="kap-preview-title">{html.escape(heading)}</h3>']
    if patient:
        parts.append(f'<p class="kap-preview-patient">{html.escape(patient)}</p>')
    parts.append(
        f'<p class="kap-preview-status">{html.escape(STATUS_TEXT.get(status, status))}</p>'
    )
    lines = []
    signature = note.get("signature")
    if signature:
        who = signer_label(signature, str(signature.get("signer", "")))
        lines.append(_signed_line("Signed", who, signature.get("signed_at"), time_zone))
    for review in note.get("reviews") or []:
        verb = "Co-signed" if review.get("decision") == "cosign" else "Returned"
        who = signer_label(review.get("signature"), str(review.get("by", "")))
        lines.append(_signed_line(verb, who, review.get("at"), time_zone, review.get("text", "")))
    for addendum in note.get("addenda") or []:
        who = signer_label(addendum.get("signature"), str(addendum.get("author", "")))
        at = addendum.get("created_at")
        lines.append(_signed_line("Addendum", who, at, time_zone, addendum.get("text", "")))
    if lines:
        parts.append('<ul class="kap-preview-signatures">' + "".join(lines) + "</ul>")
    answers = dict(note.get("answers") or {})
    for key, value in answers.items():
        if isinstance(value, str) and linked and value in linked:
            answers[key] = linked[value]
    blocks = note_blocks(definition, answers, note.get("computed") or {})
    parts.append(blocks_html(blocks))
    return "\n".join(parts)
