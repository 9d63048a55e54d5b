"""A patient's demographics: PHI that only ever exists inside an encrypted record."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from kap_notes.errors import InvalidInput as InvalidInput  # noqa: PLC0414 - re-exported

#: The one sex code list (FHIR administrative gender): registration, the preparation form
#: (``codeList: sex``) and FHIR export all use it.
SEX_CODES: dict[str, str] = {
    "female": "Female",
    "male": "Male",
    "other": "Other",
    "unknown": "Unknown / not stated",
}
SEXES = tuple(SEX_CODES)
#: Codes of the preparation form before version 1.1.0, read as their current equivalents.
LEGACY_SEX_CODES = {"intersex": "other", "not_stated": "unknown"}


def sex_code(value: Any) -> str:
    """A sex code from input or a stored record, old codes mapped (``not_stated`` → ``unknown``)."""
    code = str(value or "unknown").strip().lower()
    return LEGACY_SEX_CODES.get(code, code)


_CHART_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_chart_code() -> str:
    """A random chart code with no PHI in it, e.g. ``KAP-7F3K2Q``."""
    return "KAP-" + "".join(secrets.choice(_CHART_ALPHABET) for _ in range(6))


@dataclass(frozen=True)
class Patient:
    """Demographics as entered at registration."""

    chart_code: str
    name: str
    date_of_birth: str
    sex: str
    contact: str = ""

    @classmethod
    def from_input(cls, data: Mapping[str, Any], *, today: dt.date | None = None) -> Patient:
        """Validate registration input; raises :class:`InvalidInput` listing every problem."""
        today = today or dt.date.today()
        problems = []
        name = str(data.get("name") or "").strip()
        if not name:
            problems.append("Name is required")
        dob = str(data.get("date_of_birth") or "").strip()
        try:
            born = dt.date.fromisoformat(dob) if dob else None
            if born is not None and not dt.date(1900, 1, 1) <= born <= today:
                problems.append(f"Date of birth {dob} must be between 1900-01-01 and today")
        except ValueError:
            problems.append(f"Date of birth {dob!r} is not a date like 1984-03-07")
        sex = sex_code(data.get("sex"))
        if sex not in SEXES:
            problems.append(f"Sex {sex!r} must be one of: {', '.join(SEXES)}")
        contact = data.get("contact") or ""
        if not isinstance(contact, str):
            contact = "; ".join(f"{k}: {v}" for k, v in dict(contact).items())
        unknown = sorted(set(data) - {"name", "date_of_birth", "sex", "contact", "chart_code"})
        if unknown:
            problems.append(f"Unknown fields: {', '.join(unknown)}")
        if problems:
            raise InvalidInput(problems)
        chart = str(data.get("chart_code") or new_chart_code())
        return cls(chart_code=chart, name=name, date_of_birth=dob, sex=sex, contact=contact)

    def to_record(self) -> dict[str, Any]:
        return {"kind": "patient", **asdict(self)}

    @classmethod
    def from_record(cls, content: Mapping[str, Any]) -> Patient:
        return cls(
            **{k: str(content.get(k) or "") for k in ("chart_code", "name", "date_of_birth")},
            sex=sex_code(content.get("sex")),
            contact=content.get("contact", ""),
        )
