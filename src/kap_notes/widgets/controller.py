"""What a form needs from the outside world: the lifecycle controller protocol.

The service layer implements it on top of the vault; widget tests use an in-memory fake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from kap_notes.forms import ValidationIssue


@dataclass(frozen=True)
class SaveOutcome:
    """Result of a lifecycle action: shown in the form's status line, issues shown inline."""

    ok: bool
    message: str
    issues: tuple[ValidationIssue, ...] = ()


@runtime_checkable
class FormController(Protocol):
    """Persists one note. Every method returns an outcome; raising is treated as a failure."""

    def save_draft(self, answers: dict[str, Any], *, autosave: bool = False) -> SaveOutcome:
        """Save whatever was typed (never refused for invalid answers); ``autosave`` (the
        timer, not the button) may keep it in the draft's autosave buffer until the form
        closes."""
        ...

    def sign(self, answers: dict[str, Any]) -> SaveOutcome:
        """Save, then sign once the user confirms with their passphrase (outside the kernel);
        the note becomes immutable."""
        ...

    def addend(self, text: str) -> SaveOutcome:
        """Add a dated, authored addendum to the signed note (confirmed like signing)."""
        ...

    def locked(self) -> bool:
        """True when the note is signed (read-only; only addenda may be added)."""
        ...
