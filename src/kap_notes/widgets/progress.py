"""``open_progress()``: choose a patient, compile their progress notebook, open it.

The notebook is compiled into the vault and opened through the encrypted ``kap-vault/`` folder;
this view only shows the patient's notes and a link.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from kap_notes.agent.client import default_backend
from kap_notes.service.backend import Backend
from kap_notes.vault.session import Session
from kap_notes.widgets.style import heading_html, tone


class ProgressLauncher:
    """Patient dropdown, "Compile and open" button, and the patient's notes at a glance."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.message = widgets.HTML()
        self.notes = widgets.HTML()
        self.link = widgets.HTML()
        options: list[tuple[str, str | None]] = [("— choose —", None)]
        try:
            options += [
                (f"{p['chart_code']} · {p['name']}", p["patient_id"])
                for p in backend.list_patients()
            ]
        except Exception as error:
            self.message.value = tone(str(error), "error")
        self.patient = widgets.Dropdown(description="Patient", options=options, value=None)
        self.patient.observe(lambda _c: self.show_notes(), names="value")
        self.button = widgets.Button(description="Compile and open", icon="book")
        self.button.on_click(lambda _b: self.compile())
        self.export_button = widgets.Button(description="Export PDF", icon="file-pdf-o")
        self.export_button.on_click(lambda _b: self.export_pdf())
        self.download = widgets.HTML()
        self.widget = widgets.VBox(
            [
                widgets.HTML(heading_html("Patient progress", 3)),
                self.patient,
                widgets.HBox([self.button, self.export_button]),
                self.message,
                self.link,
                self.download,
                self.notes,
            ]
        )

    def show_notes(self) -> None:
        patient_id = self.patient.value
        if patient_id is None:
            self.notes.value = ""
            return
        rows = self.backend.list_notes(patient_id)
        self.notes.value = "<br>".join(
            html.escape(f"{n['session_date'] or '-'} · {n['form']} · {n['status']}") for n in rows
        )

    def compile(self) -> str | None:
        """Compile the chosen patient's notebook; returns its path in the file browser."""
        if self.patient.value is None:
            self.message.value = tone("Choose a patient first", "error")
            return None
        try:
            result = self.backend.compile_patient(self.patient.value)
        except Exception as error:
            self.message.value = tone(str(error), "error")
            return None
        path = str(result["path"])
        state = "rebuilt from the latest notes" if result["changed"] else "up to date"
        self.message.value = tone(f"Progress notebook {state}", "success")
        self.link.value = (
            f'<a href="{html.escape(path)}" target="_blank">Open {html.escape(path)}</a>'
        )
        return path

    def export_pdf(self) -> str | None:
        """An encrypted PDF of the record: a download link and its passphrase, shown once."""
        if self.patient.value is None:
            self.message.value = tone("Choose a patient first", "error")
            return None
        try:
            export = self.backend.call("export_record_pdf", patient_id=self.patient.value)
        except Exception as error:
            self.message.value = tone(str(error), "error")
            return None
        name = html.escape(str(export["filename"]))
        self.download.value = (
            f'<a download="{name}" href="data:application/pdf;base64,{export["pdf_base64"]}">'
            f"Download {name} (AES-256 encrypted)</a><br>Passphrase, shown once — give it "
            f"separately: <code>{html.escape(str(export['passphrase']))}</code>"
        )
        self.message.value = tone("PDF exported (the export is in the audit log)", "success")
        return str(export["passphrase"])

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def open_progress(
    *, session: Session | None = None, backend: Backend | None = None
) -> ProgressLauncher:
    """Choose a patient and open their compiled progress notebook."""
    return ProgressLauncher(backend or default_backend(session))
