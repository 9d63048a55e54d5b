"""``open_review_queue()``: a supervisor's signed notes awaiting co-signature, with co-sign and
return buttons. Both are confirmed with the passphrase in JupyterLab's dialog, never here."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from kap_notes.agent.client import default_backend
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
                f"{str(item.get('signed_at', ''))[:16]}"
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
        """Show a note's answers and computed values."""
        note = self.backend.get_note(note_id)
        lines = [
            f"<b>{html.escape(k)}</b>: {html.escape(str(v))}" for k, v in note["answers"].items()
        ]
        lines += [
            f"<i>{html.escape(k)}</i> = {html.escape(str(v))}"
            for k, v in note.get("computed", {}).items()
        ]
        self.preview.value = "<br>".join(lines)

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


def open_review_queue(
    *,
    session: Session | None = None,
    backend: Backend | None = None,
    askpass: Askpass | None = None,
) -> ReviewQueue:
    """The review queue of the unlocked supervisor (``askpass``: in-process sessions only)."""
    return ReviewQueue(backend or default_backend(session, askpass))
