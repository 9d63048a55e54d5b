"""kap_notes.export: PDF (typst, rendered in memory, AES-256 protected) and FHIR R4 export.

Public API::

    export_note_pdf(session, note_id, *, passphrase=None, include_process=False) -> PdfExport
    export_record_pdf(session, patient_id, *, passphrase=None, include_process=False) -> PdfExport
    export_fhir_bundle(session, patient_id, *, include_process=False, zone=None) -> dict
    questionnaire(definition) -> dict
    protect_pdf(pdf, passphrase) -> bytes
    KapPdfExporter  (kap_notes.export.nbconvert; nbconvert ``--to kap_pdf``)

Every ``export_*`` call writes one ``export`` audit entry; nothing is written to disk.
"""

from __future__ import annotations

from kap_notes.export.fhir import export_fhir_bundle, questionnaire
from kap_notes.export.pdf import PdfExport, export_note_pdf, export_record_pdf
from kap_notes.export.protect import new_passphrase, protect_pdf
from kap_notes.export.render import ExportError

__all__ = [
    "ExportError",
    "PdfExport",
    "export_fhir_bundle",
    "export_note_pdf",
    "export_record_pdf",
    "new_passphrase",
    "protect_pdf",
    "questionnaire",
]
