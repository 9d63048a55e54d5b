"""FHIR R4 Observations of instrument totals (LOINC where the instrument has a code)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from kap_notes.export.fhir.common import LOCAL_TOTAL_SYSTEM, fhir_date_or_datetime, fhir_datetime
from kap_notes.forms import get_template

__all__ = ["LOINC", "total_observation"]

LOINC = "http://loinc.org"
_CATEGORY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}


def _code(score: Mapping[str, Any]) -> dict[str, Any]:
    display = f"{score['title']} total score"
    if score.get("loinc"):
        coding = {"system": LOINC, "code": str(score["loinc"]), "display": display}
    else:
        coding = {"system": LOCAL_TOTAL_SYSTEM, "code": f"{score['instrument']}-total"}
        coding["display"] = display
    return {"coding": [coding], "text": display}


def _value(total: float) -> dict[str, Any]:
    if float(total).is_integer():
        return {"valueInteger": int(total)}
    unit = {"unit": "{score}", "system": "http://unitsofmeasure.org", "code": "{score}"}
    return {"valueQuantity": {"value": total, **unit}}


def total_observation(
    score: Mapping[str, Any],
    *,
    resource_id: str,
    patient_ref: str,
    response_ref: str,
    effective: str | None,
    issued: str | None,
    status: str,
    performer: Mapping[str, str],
    zone: dt.tzinfo,
) -> dict[str, Any]:
    """One instrument total (a row of :func:`~kap_notes.export.sections.instrument_scores`);
    ``status`` from :func:`~kap_notes.export.fhir.status.observation_status`, ``performer`` a
    Reference."""
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": resource_id,
        "status": status,
        "category": [_CATEGORY],
        "code": _code(score),
        "subject": {"reference": patient_ref},
        "performer": [dict(performer)],
        "derivedFrom": [{"reference": response_ref}],
        **_value(float(score["total"])),
    }
    if effective:
        resource["effectiveDateTime"] = fhir_date_or_datetime(effective, zone)
    if issued:
        resource["issued"] = fhir_datetime(issued, zone)
    if score.get("band"):
        system = f"{get_template(str(score['instrument'])).url}:band"
        coding = {"system": system, "code": str(score["band"]), "display": score["band_label"]}
        resource["interpretation"] = [{"coding": [coding], "text": score["band_label"]}]
    return resource
