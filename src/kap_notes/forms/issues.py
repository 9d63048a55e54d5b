"""Structured validation results: what is wrong, where, and whether it blocks signing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class ValidationIssue:
    """One problem. `group` is the repeating group or instrument holding the item, `row` 0-based.

    Errors block signing (never saving a draft); warnings are for information only.
    """

    link_id: str
    message: str
    severity: Severity = "error"
    row: int | None = None
    group: str | None = None
    kind: str = "invalid"

    def as_dict(self) -> dict[str, object]:
        return {
            "linkId": self.link_id,
            "message": self.message,
            "severity": self.severity,
            "row": self.row,
            "group": self.group,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class ValidationResult:
    """All issues of one answer set. A draft can always be saved; signing needs `ok`."""

    issues: tuple[ValidationIssue, ...] = ()

    @property
    def errors(self) -> tuple[ValidationIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[ValidationIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when nothing blocks signing."""
        return not self.errors

    can_sign = ok

    def messages(self) -> list[str]:
        return [issue.message for issue in self.issues]

    def for_item(
        self, link_id: str, *, group: str | None = None, row: int | None = None
    ) -> list[ValidationIssue]:
        return [
            i for i in self.issues if i.link_id == link_id and i.group == group and i.row == row
        ]


@dataclass(frozen=True)
class Flag:
    """A for-review marker (clinic-set thresholds, safety items); never clinical advice."""

    id: str
    link_id: str
    message: str
    row: int | None = None
    group: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "linkId": self.link_id,
            "message": self.message,
            "row": self.row,
            "group": self.group,
        }
