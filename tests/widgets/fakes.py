"""An in-memory FormController for widget unit tests only (no vault, no kernel)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kap_notes.forms import ValidationIssue
from kap_notes.widgets import SaveOutcome

PASSPHRASE = "synthetic passphrase"


@dataclass
class FakeController:
    """Records every call; signing needs PASSPHRASE; `fail_next` makes the next call raise."""

    is_locked: bool = False
    drafts: list[dict[str, Any]] = field(default_factory=list)
    signed: list[dict[str, Any]] = field(default_factory=list)
    addenda: list[str] = field(default_factory=list)
    fail_next: str | None = None
    refuse_issues: tuple[ValidationIssue, ...] = ()

    def _maybe_fail(self) -> None:
        if self.fail_next:
            message, self.fail_next = self.fail_next, None
            raise RuntimeError(message)

    def save_draft(self, answers: dict[str, Any]) -> SaveOutcome:
        self._maybe_fail()
        self.drafts.append(answers)
        return SaveOutcome(ok=True, message="Draft saved")

    def sign(self, answers: dict[str, Any], passphrase: str) -> SaveOutcome:
        self._maybe_fail()
        if self.refuse_issues:
            return SaveOutcome(False, "Refused by the service", self.refuse_issues)
        if passphrase != PASSPHRASE:
            return SaveOutcome(ok=False, message="Wrong passphrase")
        self.signed.append(answers)
        self.is_locked = True
        return SaveOutcome(ok=True, message="Signed")

    def addend(self, text: str) -> SaveOutcome:
        self._maybe_fail()
        if not self.is_locked:
            return SaveOutcome(ok=False, message="Only signed notes take addenda")
        self.addenda.append(text)
        return SaveOutcome(ok=True, message="Addendum added")

    def locked(self) -> bool:
        return self.is_locked
