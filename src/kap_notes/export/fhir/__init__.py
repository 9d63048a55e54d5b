"""FHIR R4 export: Questionnaire per template, QuestionnaireResponse per note, Observation per
instrument total, Practitioner per clinician, Provenance per signature, co-signature, return and
addendum, DocumentReference per addendum, in a per-patient Bundle. Plain dicts; validate with
``fhir.resources.R4B``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kap_notes.export.fhir.bundle import patient_bundle, patient_resource
from kap_notes.export.fhir.observation import total_observation
from kap_notes.export.fhir.questionnaire import questionnaire
from kap_notes.export.fhir.response import questionnaire_response
from kap_notes.model import times
from kap_notes.records.chart import chart
from kap_notes.vault.session import Session

__all__ = [
    "export_fhir_bundle",
    "patient_bundle",
    "patient_resource",
    "questionnaire",
    "questionnaire_response",
    "total_observation",
]


def export_fhir_bundle(
    session: Session,
    patient_id: str,
    *,
    include_process: bool = False,
    zone: dt.tzinfo | None = None,
) -> dict[str, Any]:
    """A patient's record as a FHIR R4 Bundle dict. Audited as an export.

    Session times are wall-clock times in ``zone`` (default: the clinic's time zone setting);
    clinicians are named as beside their signatures (display name and credentials).
    """
    record = chart(session, patient_id, include_process=include_process)
    bundle = patient_bundle(
        record,
        session.user_label,
        zone=zone or times.zone(times.clinic_time_zone(session.clinic_settings()[0])),
        key_of=session.signing_key_of,
    )
    session.log("export", patient_id, None)
    return bundle
