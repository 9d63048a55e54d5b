"""Shared FHIR R4 helpers: date-times with a zone, stable ids, codings for template options."""

from __future__ import annotations

import datetime as dt
import uuid

from kap_notes.forms import FormDefinition, Item, Option

__all__ = [
    "CHART_CODE_SYSTEM",
    "LOCAL_TOTAL_SYSTEM",
    "NOTE_SYSTEM",
    "USER_SYSTEM",
    "coding",
    "fhir_date_or_datetime",
    "fhir_datetime",
    "local_zone",
    "option_coding",
    "option_system",
    "urn_uuid",
]

#: Identifier system for kap-notes chart codes.
CHART_CODE_SYSTEM = "urn:kap-notes:chart-code"
#: Code system for instrument totals that have no LOINC code (e.g. ``cadss-total``).
LOCAL_TOTAL_SYSTEM = "urn:kap-notes:instrument-total"
#: Identifier system of note versions (``<note id>|<version>``).
NOTE_SYSTEM = "urn:kap-notes:note"
#: Identifier system of kap-notes users (random ids, no PHI).
USER_SYSTEM = "urn:kap-notes:user"
_NAMESPACE = uuid.UUID("6f1d7c4e-2b1a-5c8e-9a53-4b7e0c2d9f10")


def local_zone() -> dt.tzinfo:
    """This machine's time zone: naive session times are clinic-local wall-clock times."""
    zone = dt.datetime.now().astimezone().tzinfo
    return zone if zone is not None else dt.timezone.utc


def urn_uuid(*parts: str) -> str:
    """A stable ``urn:uuid:`` for a resource, derived from kap-notes ids (no PHI)."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, '|'.join(parts))}"


def fhir_datetime(value: str, zone: dt.tzinfo) -> str:
    """``2026-01-05T10:00`` (naive: in ``zone``) → ``2026-01-05T10:00:00+01:00``."""
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.isoformat(timespec="seconds")


def fhir_date_or_datetime(value: str, zone: dt.tzinfo) -> str:
    """A date stays a date; a date-time gets seconds and a zone."""
    return value if len(value) == 10 else fhir_datetime(value, zone)


def option_system(definition: FormDefinition, item: Item) -> str:
    """The code system of one item's answer options, e.g. ``urn:kap-notes:form:dosing:route``."""
    return f"{definition.url}:{item.link_id}"


def option_coding(definition: FormDefinition, item: Item, option: Option) -> dict[str, str]:
    return {
        "system": option_system(definition, item),
        "code": str(option.code),
        "display": option.display,
    }


def coding(system: str, code: str, display: str) -> dict[str, str]:
    """A FHIR Coding."""
    return {"system": system, "code": code, "display": display}
