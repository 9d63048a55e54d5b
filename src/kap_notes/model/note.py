"""A session note as stored inside its encrypted record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

NOTE_KIND = "note"


@dataclass(frozen=True)
class Note:
    """One version of a note: the form it was written with, the answers, who wrote and signed it."""

    note_id: str
    patient_id: str
    version: int
    form: str
    answers: dict[str, Any]
    author: str
    status: str = "draft"
    session_date: str | None = None
    template: dict[str, str] | None = None
    created_at: str | None = None
    updated_at: str | None = None
    signature: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_record(
        cls, note_id: str, patient_id: str, version: int, content: Mapping[str, Any]
    ) -> Note:
        known = {
            f for f in cls.__dataclass_fields__ if f not in {"note_id", "patient_id", "version"}
        }
        return cls(
            note_id=note_id,
            patient_id=patient_id,
            version=version,
            **{k: content[k] for k in known if k in content and k != "extra"},
            extra={k: v for k, v in content.items() if k not in known and k != "kind"},
        )

    def to_record(self) -> dict[str, Any]:
        """The JSON document that gets encrypted (ids live in the record header)."""
        return {
            "kind": NOTE_KIND,
            "form": self.form,
            "answers": self.answers,
            "author": self.author,
            "status": self.status,
            "session_date": self.session_date,
            "template": self.template,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "signature": self.signature,
            **self.extra,
        }
