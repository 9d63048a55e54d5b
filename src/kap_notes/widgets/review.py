"""``open_review_queue()``: a supervisor's signed notes awaiting co-signature, with co-sign and
return buttons. Both are confirmed with the passphrase in JupyterLab's dialog, never here.
(JupyterLab's KAP panel shows the same queue without a notebook.)"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets

from kap_notes.agent.client import default_backend
from kap_notes.model.times import DEFAULT_ZONE, clinic_time_zone, format_timestamp
from kap_notes.records.preview import note_preview_html
from kap_notes.service.backend import Askpass, Backend
from kap_notes.service.review import DEFAULT_ATTESTATION
from kap_notes.vault.session import Session
from kap_notes.widgets.lifecycle import CONFIRM_HINT
from kap_notes.widgets.style import heading_html, tone

__all__ = ["ReviewQueue", "note_preview_html", "open_review_queue", "row_html"]


class ReviewQueue:
    """One row per waiting note (patient, chart code, therapist, note type, session date,
    signed-at), a therapist filter, and the preview beside the rows; co-sign (with the clinic's
    attestation) and return."""

    ALL = "All therapists"

    def __init__(self, backend: Backend, attestation: str = DEFAULT_ATTESTATION) -> None:
        self.backend = backend
        self.attestation = attestation
        self.time_zone = _time_zone(backend)
        self.items: list[dict[str, Any]] = []
        self.message = widgets.HTML()
        self.rows = widgets.VBox(layout=widgets.Layout(flex="1 1 55%"))
        self.preview = widgets.HTML(layout=widgets.Layout(flex="1 1 45%", padding="0 0 0 12px"))
        self.therapist = widgets.Dropdown(
            options=[self.ALL], value=self.ALL, description="Therapist"
        )
        self.therapist.observe(lambda _c: self._show_rows(), names="value")
        refresh = widgets.Button(description="Refresh", icon="refresh")
        refresh.on_click(lambda _b: self.refresh())
        self.widget = widgets.VBox(
            [
                widgets.HTML(heading_html("Notes awaiting your co-signature", 3)),
                widgets.HBox([self.therapist, refresh]),
                self.message,
                widgets.HBox([self.rows, self.preview]),
            ]
        )
        self.refresh()

    def refresh(self) -> None:
        try:
            self.items = list(self.backend.review_queue())
        except Exception as error:
            self.message.value = tone(str(error), "error")
            self.items = []
            self.rows.children = ()
            return
        therapists = sorted({str(i.get("therapist") or i["author"]) for i in self.items})
        current = self.therapist.value
        self.therapist.options = [self.ALL, *therapists]
        self.therapist.value = current if current in therapists else self.ALL
        self._show_rows()

    def visible(self) -> list[dict[str, Any]]:
        """The rows the therapist filter lets through."""
        chosen = self.therapist.value
        return [
            i
            for i in self.items
            if chosen == self.ALL or str(i.get("therapist") or i["author"]) == chosen
        ]

    def _show_rows(self) -> None:
        shown = self.visible()
        self.message.value = tone(f"{len(shown)} note(s) waiting", "info")
        self.rows.children = tuple(self._row(item) for item in shown)

    def _row(self, item: dict[str, Any]) -> widgets.Widget:
        note_id = str(item["note_id"])
        label = widgets.HTML(row_html(item, self.time_zone))
        preview = widgets.Button(description="Preview", icon="eye")
        cosign = widgets.Button(description="Co-sign", icon="check", button_style="success")
        comment = widgets.Text(description="Comment", placeholder="what needs changing")
        back = widgets.Button(description="Return", icon="undo")
        preview.on_click(lambda _b: self.show(note_id))
        cosign.on_click(lambda _b: self.act(lambda: self.backend.cosign(note_id, self.attestation)))
        back.on_click(lambda _b: self.act(lambda: self.backend.return_note(note_id, comment.value)))
        return widgets.VBox([label, widgets.HBox([preview, cosign, comment, back])])

    def show(self, note_id: str) -> None:
        """Show a note beside the rows as every view shows it (the one renderer)."""
        self.preview.value = str(self.backend.call("note_preview", note_id=note_id)["html"])

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


def row_html(item: Mapping[str, Any], time_zone: str = DEFAULT_ZONE) -> str:
    """``Jordan Lee · KAP-S00012 · Dosing session · 2026-01-19 · Tess Taylor, LCSW · signed
    2026-01-19 14:05 EST`` (escaped; the patient's name in bold)."""
    signed = item.get("signed") or format_timestamp(item.get("signed_at"), time_zone)
    rest = [
        item.get("chart_code") or "",
        item.get("title") or item.get("form") or "",
        item.get("session_date") or "-",
        item.get("therapist") or item.get("author") or "",
        f"signed {signed}",
    ]
    name = html.escape(str(item.get("patient_name") or ""))
    return f"<b>{name}</b> · " + html.escape(" · ".join(str(r) for r in rest if r))


def _time_zone(backend: Backend) -> str:
    """The clinic time zone (clinic setting) signing times are shown in."""
    try:
        return clinic_time_zone(backend.call("clinic_settings"))
    except Exception:  # no settings reachable: show UTC, which says so
        return DEFAULT_ZONE


def open_review_queue(
    *,
    session: Session | None = None,
    backend: Backend | None = None,
    askpass: Askpass | None = None,
) -> ReviewQueue:
    """The review queue of the unlocked supervisor (``askpass``: in-process sessions only)."""
    return ReviewQueue(backend or default_backend(session, askpass))
