"""An nbconvert exporter (``--to kap_pdf``): a compiled progress notebook → PDF via typst, in
memory. Registered under ``nbconvert.exporters`` (``jupyter nbconvert --to kap_pdf``); its friendly
name is :data:`FRIENDLY_NAME`.

JupyterLab 4 does not use that name: its notebook extension labels every exporter listed by
``/api/nbconvert`` from a fixed map (html, pdf, latex, ...) or else the entry-point name with a
capital first letter ("Kap_pdf"), and jupyter_server's listing carries only ``output_mimetype``.
So the labextension leaves ``kap_pdf`` out of the formats JupyterLab reads (no "Kap_pdf" in the
File menu, the command palette or a raw cell's format list) and puts its own "KAP PDF
(encrypted)" item in File → Save and Export Notebook As: on a progress notebook it exports the
patient's record with a one-time passphrase; on other notebooks it calls this exporter.

The PDF is always AES-256 protected with ``KapPdfExporter.passphrase``. The download path has
no way to show a one-time passphrase, so without a configured passphrase the exporter refuses
(a clear message) rather than hand out an unprotected copy of a patient record; the Patient
progress view's "Export PDF" button and ``kap-notes export pdf`` show a one-time passphrase.
"""

from __future__ import annotations

from typing import Any

from nbconvert.exporters import Exporter
from nbformat import NotebookNode
from traitlets import Bool, Unicode, default

from kap_notes.export.notebook import notebook_document
from kap_notes.export.protect import protect_pdf
from kap_notes.export.render import ExportError, render_pdf

__all__ = ["FRIENDLY_NAME", "KapPdfExporter"]

#: What menus call this exporter.
FRIENDLY_NAME = "KAP PDF (encrypted)"


class KapPdfExporter(Exporter):
    """Render a notebook (markdown and pre-rendered outputs) to PDF with the kap-notes layout."""

    export_from_notebook = FRIENDLY_NAME
    output_mimetype = "application/pdf"

    passphrase = Unicode(
        None,
        allow_none=True,
        help="Protect the PDF with this passphrase (AES-256). Unset: the exporter refuses.",
    ).tag(config=True)
    exclude_input = Bool(False, help="Leave out code cell sources (outputs are still shown).").tag(
        config=True
    )

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".pdf"

    def from_notebook_node(  # type: ignore[override]  # binary output, like nbconvert's PDF
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[bytes, dict[str, Any]]:
        """PDF bytes of ``nb`` and the resources nbconvert passes along."""
        if not self.passphrase:
            raise ExportError(
                f"{FRIENDLY_NAME}: kap-notes PDFs are always encrypted and no export passphrase "
                "is set (c.KapPdfExporter.passphrase). In JupyterLab use File → Save and Export "
                f"Notebook As → {FRIENDLY_NAME} on a progress notebook, or Export PDF in the "
                "Patient progress view: both show a one-time passphrase"
            )
        notebook, resources = super().from_notebook_node(nb, resources, **kw)
        name = str(resources.get("metadata", {}).get("name") or "Progress notebook")
        data = notebook_document(notebook, title=name, exclude_input=self.exclude_input)
        pdf = render_pdf("notebook", data)
        pdf = protect_pdf(pdf, self.passphrase)
        resources["output_extension"] = ".pdf"
        return pdf, resources
