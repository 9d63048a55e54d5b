"""An in-memory FormController for widget unit tests only (no vault, no kernel)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kap_notes.forms import ValidationIssue
from kap_notes.widgets import SaveOutcome

PASSPHRASE = "synthetic passphrase"


@dataclass
class FakeController:
    """Records every call; `fail_next` makes the next call raise.

    Signing and addenda stand for the confirmation dialog outside the kernel: `dialog_answer` is
    what the user types there (None: Cancel); `seen_while_confirming` records the form's status
    line at that moment.
    """

    is_locked: bool = False
    drafts: list[dict[str, Any]] = field(default_factory=list)
    autosaved: list[bool] = field(default_factory=list)
    signed: list[dict[str, Any]] = field(default_factory=list)
    addenda: list[str] = field(default_factory=list)
    fail_next: str | None = None
    refuse_issues: tuple[ValidationIssue, ...] = ()
    dialog_answer: str | None = PASSPHRASE
    status_probe: Callable[[], str] | None = None
    seen_while_confirming: list[str] = field(default_factory=list)

    def _confirm(self) -> SaveOutcome | None:
        if self.status_probe is not None:
            self.seen_while_confirming.append(self.status_probe())
        if self.dialog_answer is None:
            return SaveOutcome(ok=False, message="Cancelled: nothing was signed")
        if self.dialog_answer != PASSPHRASE:
            return SaveOutcome(ok=False, message="Wrong passphrase")
        return None

    def _maybe_fail(self) -> None:
        if self.fail_next:
            message, self.fail_next = self.fail_next, None
            raise RuntimeError(message)

    def save_draft(self, answers: dict[str, Any], *, autosave: bool = False) -> SaveOutcome:
        self._maybe_fail()
        self.drafts.append(answers)
        self.autosaved.append(autosave)
        return SaveOutcome(ok=True, message="Draft saved")

    def sign(self, answers: dict[str, Any]) -> SaveOutcome:
        self._maybe_fail()
        if self.refuse_issues:
            return SaveOutcome(False, "Refused by the service", self.refuse_issues)
        refused = self._confirm()
        if refused is not None:
            return refused
        self.signed.append(answers)
        self.is_locked = True
        return SaveOutcome(ok=True, message="Signed")

    def addend(self, text: str) -> SaveOutcome:
        self._maybe_fail()
        if not self.is_locked:
            return SaveOutcome(ok=False, message="Only signed notes take addenda")
        refused = self._confirm()
        if refused is not None:
            return refused
        self.addenda.append(text)
        return SaveOutcome(ok=True, message="Addendum added")

    def locked(self) -> bool:
        return self.is_locked
