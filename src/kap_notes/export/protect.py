"""Password protection for PDFs: AES-256 (PDF 2.0 security handler revision 6) via pypdf."""

from __future__ import annotations

import io
import secrets

from pypdf import PdfReader, PdfWriter

__all__ = ["MIN_PASSPHRASE_LENGTH", "new_passphrase", "protect_pdf"]

#: Shortest passphrase accepted for an exported PDF.
MIN_PASSPHRASE_LENGTH = 12


def new_passphrase() -> str:
    """A random passphrase (about 128 bits) to show the user once."""
    return secrets.token_urlsafe(16)


def protect_pdf(pdf: bytes, passphrase: str) -> bytes:
    """``pdf`` encrypted with AES-256 (R6); opening it needs ``passphrase``. In memory only."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise ValueError(f"an export passphrase needs at least {MIN_PASSPHRASE_LENGTH} characters")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(
        user_password=passphrase,
        owner_password=secrets.token_urlsafe(32),
        algorithm="AES-256",
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
