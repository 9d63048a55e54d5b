"""The export package's public names are explicit and importable."""

from __future__ import annotations

from kap_notes import export


def test_all_names_exist() -> None:
    assert sorted(export.__all__) == [
        "ExportError",
        "PdfExport",
        "export_fhir_bundle",
        "export_note_pdf",
        "export_record_pdf",
        "new_passphrase",
        "protect_pdf",
        "questionnaire",
    ]
    for name in export.__all__:
        assert getattr(export, name) is not None
