"""Exported PDFs open only with their passphrase: AES-256, standard security handler revision 6."""

from __future__ import annotations

import io

import pypdf
import pytest
from pypdf.errors import FileNotDecryptedError

from kap_notes.export import export_note_pdf, export_record_pdf, protect_pdf
from tests.export.conftest import Recorded, open_pdf


@pytest.fixture(scope="module")
def record_export(recorded: Recorded) -> tuple[bytes, str]:
    result = export_record_pdf(recorded.tess, recorded.patient_id)
    return result.pdf, result.passphrase


def test_pdf_is_aes256_revision6(record_export: tuple[bytes, str]) -> None:
    pdf, _ = record_export
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    encrypt = reader.trailer["/Encrypt"].get_object()
    assert encrypt["/Filter"] == "/Standard"
    assert encrypt["/R"] == 6
    assert encrypt["/V"] == 5
    assert encrypt["/CF"]["/StdCF"]["/CFM"] == "/AESV3"
    assert b"Clinical record" not in pdf  # no plaintext stream content


def test_wrong_passphrase_does_not_open(record_export: tuple[bytes, str]) -> None:
    pdf, passphrase = record_export
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert reader.is_encrypted
    assert reader.decrypt(passphrase + "x") == pypdf.PasswordType.NOT_DECRYPTED
    with pytest.raises(FileNotDecryptedError):
        reader.pages[0].extract_text()


def test_right_passphrase_opens(record_export: tuple[bytes, str]) -> None:
    pdf, passphrase = record_export
    reader = open_pdf(pdf, passphrase)
    assert "Clinical record" in reader.pages[0].extract_text()


def test_generated_passphrases_are_random_and_long(recorded: Recorded) -> None:
    first = export_note_pdf(recorded.tess, recorded.note_ids[0])
    second = export_note_pdf(recorded.tess, recorded.note_ids[0])
    assert first.generated_passphrase
    assert second.generated_passphrase
    assert first.passphrase != second.passphrase
    assert len(first.passphrase) >= 20
    assert first.passphrase not in repr(first)  # never printed by accident


def test_user_passphrase_is_used(recorded: Recorded) -> None:
    result = export_note_pdf(recorded.tess, recorded.note_ids[0], passphrase="chosen passphrase 1")
    assert not result.generated_passphrase
    open_pdf(result.pdf, "chosen passphrase 1")


def test_short_passphrase_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 12"):
        protect_pdf(b"%PDF-1.7", "short")
