"""A patient's record as a FHIR R4 Bundle (type ``collection``): Patient, the Questionnaires of
the templates used, one QuestionnaireResponse per note and one Observation per instrument total.

Superseded note versions (returned, then revised) are left out; drafts are ``in-progress``
responses with ``preliminary`` observations.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kap_notes.export.document import NameOf, definition_of, note_results, notes_in
from kap_notes.export.fhir.common import CHART_CODE_SYSTEM, urn_uuid
from kap_notes.export.fhir.observation import total_observation
from kap_notes.export.fhir.questionnaire import questionnaire
from kap_notes.export.fhir.response import questionnaire_response
from kap_notes.export.sections import instrument_scores
from kap_notes.model.patient import Patient
from kap_notes.records.chart import Chart

__all__ = ["patient_bundle", "patient_resource"]

_GENDERS = {"female": "female", "male": "male", "other": "other"}


def patient_resource(patient: Patient, resource_id: str) -> dict[str, Any]:
    """Demographics as a FHIR Patient (chart code as identifier)."""
    given, _, family = patient.name.rpartition(" ")
    name: dict[str, Any] = {"text": patient.name, "family": family or patient.name}
    if given:
        name["given"] = given.split()
    return {
        "resourceType": "Patient",
        "id": resource_id,
        "identifier": [{"system": CHART_CODE_SYSTEM, "value": patient.chart_code}],
        "name": [name],
        "gender": _GENDERS.get(patient.sex, "unknown"),
        "birthDate": patient.date_of_birth,
    }


def _entry(full_url: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": full_url, "resource": resource}


def patient_bundle(chart: Chart, name_of: NameOf, *, zone: dt.tzinfo) -> dict[str, Any]:
    """The whole bundle as a plain dict (validate with ``fhir.resources.R4B``)."""
    patient_url = urn_uuid("patient", chart.patient_id)
    entries = [_entry(patient_url, patient_resource(chart.patient, patient_url[9:]))]
    questionnaires: dict[str, dict[str, Any]] = {}
    others = notes_in(chart)
    for view in chart.notes:
        if view.status == "superseded":
            continue
        note = view.note
        definition = definition_of(note)
        questionnaires.setdefault(definition.canonical, questionnaire(definition))
        computed, _ = note_results(note, others)
        response_url = urn_uuid("note", note.note_id, str(note.version))
        signer = (note.signature or {}).get("signer_name") or name_of(note.author)
        entries.append(
            _entry(
                response_url,
                questionnaire_response(
                    definition,
                    note,
                    computed,
                    resource_id=response_url[9:],
                    patient_ref=patient_url,
                    author=str(signer),
                    zone=zone,
                ),
            )
        )
        for score in instrument_scores(definition, computed):
            url = urn_uuid("total", note.note_id, str(note.version), str(score["link_id"]))
            observation = total_observation(
                score,
                resource_id=url[9:],
                patient_ref=patient_url,
                response_ref=response_url,
                effective=note.answers.get("session_datetime") or note.session_date,
                issued=(note.signature or {}).get("signed_at"),
                final=note.signature is not None,
                performer=str(signer),
                zone=zone,
            )
            entries.append(_entry(url, observation))
    entries[1:1] = [
        _entry(urn_uuid("questionnaire", canonical), {**resource, "id": urn_uuid(canonical)[9:]})
        for canonical, resource in questionnaires.items()
    ]
    return {
        "resourceType": "Bundle",
        "id": urn_uuid("bundle", chart.patient_id, dt.datetime.now(dt.timezone.utc).isoformat())[
            9:
        ],
        "type": "collection",
        "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "entry": entries,
    }
