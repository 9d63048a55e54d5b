"""``open_review_queue()``: a supervisor's signed notes awaiting co-signature, with co-sign and
return buttons. Both are confirmed with the passphrase in JupyterLab's dialog, never here."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets

from kap_notes.agent.client import default_backend
from kap_notes.forms import get_template
from kap_notes.model.times import DEFAULT_ZONE, clinic_time_zone, format_timestamp
from kap_notes.records.display import signer_label
from kap_notes.records.layout import blocks_html, note_blocks
from kap_notes.service.backend import Askpass, Backend
from kap_notes.service.review import DEFAULT_ATTESTATION
from kap_notes.vault.session import Session
from kap_notes.widgets.lifecycle import CONFIRM_HINT
from kap_notes.widgets.style import heading_html, tone


class ReviewQueue:
    """One row per waiting note: preview, co-sign (with the clinic's attestation), return."""

    def __init__(self, backend: Backend, attestation: str = DEFAULT_ATTESTATION) -> None:
        self.backend = backend
        self.attestation = attestation
        self.time_zone = _time_zone(backend)
        self.message = widgets.HTML()
        self.rows = widgets.VBox()
        self.preview = widgets.HTML()
        refresh = widgets.Button(description="Refresh", icon="refresh")
        refresh.on_click(lambda _b: self.refresh())
        self.widget = widgets.VBox(
            [
                widgets.HTML(heading_html("Notes awaiting your co-signature", 3)),
                refresh,
                self.message,
                self.rows,
                self.preview,
            ]
        )
        self.refresh()

    def refresh(self) -> None:
        try:
            queue = self.backend.review_queue()
        except Exception as error:
            self.message.value = tone(str(error), "error")
            self.rows.children = ()
            return
        self.message.value = tone(f"{len(queue)} note(s) waiting", "info")
        self.rows.children = tuple(self._row(item) for item in queue)

    def _row(self, item: dict[str, Any]) -> widgets.Widget:
        note_id = str(item["note_id"])
        label = widgets.HTML(
            html.escape(
                f"{item.get('session_date') or '-'} · {item['form']} · signed "
                f"{format_timestamp(item.get('signed_at'), self.time_zone)}"
            )
        )
        preview = widgets.Button(description="Preview", icon="eye")
        cosign = widgets.Button(description="Co-sign", icon="check", button_style="success")
        comment = widgets.Text(description="Comment", placeholder="what needs changing")
        back = widgets.Button(description="Return", icon="undo")
        preview.on_click(lambda _b: self.show(note_id))
        cosign.on_click(lambda _b: self.act(lambda: self.backend.cosign(note_id, self.attestation)))
        back.on_click(lambda _b: self.act(lambda: self.backend.return_note(note_id, comment.value)))
        return widgets.VBox([label, widgets.HBox([preview, cosign, comment, back])])

    def show(self, note_id: str) -> None:
        """Show a note as every view shows it: labelled answers, scores, signatures."""
        self.preview.value = note_preview_html(self.backend.get_note(note_id), self.time_zone)

    def act(self, action: Any) -> None:
        """Co-sign or return (confirmed in JupyterLab), then refresh; errors are shown, nothing
        else changes."""
        self.message.value = tone(CONFIRM_HINT, "info")
        try:
            action()
        except Exception as error:
            self.message.value = tone(str(error), "error")
            return
        self.refresh()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def _time_zone(backend: Backend) -> str:
    """The clinic time zone (clinic setting) signing times are shown in."""
    try:
        return clinic_time_zone(backend.call("clinic_settings"))
    except Exception:  # no settings reachable: show UTC, which says so
        return DEFAULT_ZONE


def _signed_line(what: str, who: str, at: Any, time_zone: str, text: str = "") -> str:
    said = f": {text}" if text else ""
    return html.escape(f"{what} by {who} at {format_timestamp(at, time_zone)}{said}")


def note_preview_html(note: Mapping[str, Any], time_zone: str = DEFAULT_ZONE) -> str:
    """A note (``get_note``) as HTML: title, answers through the one renderer
    (:mod:`kap_notes.records.display`), then signature, co-signs, returns and addenda with who
    (display name and credentials) and when (in the clinic's time zone)."""
    template = note.get("template") or {}
    definition = get_template(template.get("url") or note["form"], template.get("version"))
    computed = note.get("computed") or {}
    lines = [f"<b>{html.escape(definition.title)}</b> · {html.escape(str(note.get('status')))}"]
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
    blocks = note_blocks(definition, note.get("answers") or {}, computed)
    return "<br>".join(lines) + "\n" + blocks_html(blocks)


def open_review_queue(
    *,
    session: Session | None = None,
    backend: Backend | None = None,
    askpass: Askpass | None = None,
) -> ReviewQueue:
    """The review queue of the unlocked supervisor (``askpass``: in-process sessions only)."""
    return ReviewQueue(backend or default_backend(session, askpass))
