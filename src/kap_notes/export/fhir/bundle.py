"""A patient's record as a FHIR R4 Bundle (type ``collection``): Patient, the Questionnaires of
the templates used, one QuestionnaireResponse per note version, one Observation per instrument
total, a Practitioner per clinician, a Provenance per signed act (signature, co-signature,
return, addendum) and a DocumentReference per addendum.

Statuses follow the note's (:mod:`.status`): drafts and returned notes are ``in-progress``
responses with ``preliminary`` observations; a version superseded by its revision stays as a
``stopped`` response (so its signature and return stay on the record) without observations.
Values are the read model's (:func:`~kap_notes.export.document.note_results`): frozen at signing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kap_notes.export.document import NameOf, definition_of, note_results, notes_in
from kap_notes.export.fhir.acts import act_entries, response_url
from kap_notes.export.fhir.common import CHART_CODE_SYSTEM, urn_uuid
from kap_notes.export.fhir.observation import total_observation
from kap_notes.export.fhir.practitioner import Practitioners
from kap_notes.export.fhir.provenance import KeyOf
from kap_notes.export.fhir.questionnaire import questionnaire
from kap_notes.export.fhir.response import questionnaire_response
from kap_notes.export.fhir.status import observation_status, response_status
from kap_notes.export.sections import instrument_scores
from kap_notes.model.note import Note
from kap_notes.model.patient import Patient
from kap_notes.records.chart import Chart, NoteView

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


def _no_key(_: str) -> bytes | None:
    return None


def _note_entries(
    view: NoteView,
    others: list[Note],
    *,
    patient_url: str,
    people: Practitioners,
    zone: dt.tzinfo,
) -> list[dict[str, Any]]:
    """A note version's QuestionnaireResponse and its instrument-total Observations."""
    note = view.note
    definition = definition_of(note)
    computed, _ = note_results(note, others)
    response = response_url(note.note_id, note.version)
    block = note.signature or {}
    author = people.ref(note.author, str(block.get("signer_name") or "") or None)
    found = [
        _entry(
            response,
            questionnaire_response(
                definition,
                note,
                computed,
                resource_id=response[9:],
                patient_ref=patient_url,
                author=author,
                status=response_status(view),
                zone=zone,
            ),
        )
    ]
    status = observation_status(view)
    if status is None:
        return found
    for score in instrument_scores(definition, computed):
        url = urn_uuid("total", note.note_id, str(note.version), str(score["link_id"]))
        observation = total_observation(
            score,
            resource_id=url[9:],
            patient_ref=patient_url,
            response_ref=response,
            effective=note.answers.get("session_datetime") or note.session_date,
            issued=block.get("signed_at"),
            status=status,
            performer=author,
            zone=zone,
        )
        found.append(_entry(url, observation))
    return found


def patient_bundle(
    chart: Chart, name_of: NameOf, *, zone: dt.tzinfo, key_of: KeyOf = _no_key
) -> dict[str, Any]:
    """The whole bundle as a plain dict (validate with ``fhir.resources.R4B``); ``key_of`` gives
    a user's Ed25519 public key (for the key ids of verified signatures)."""
    patient_url = urn_uuid("patient", chart.patient_id)
    entries = [_entry(patient_url, patient_resource(chart.patient, patient_url[9:]))]
    questionnaires: dict[str, dict[str, Any]] = {}
    people = Practitioners(name_of)
    others = notes_in(chart)
    exported = {response_url(v.note.note_id, v.note.version) for v in chart.notes}
    acts: list[dict[str, Any]] = []
    for view in chart.notes:
        definition = definition_of(view.note)
        questionnaires.setdefault(definition.canonical, questionnaire(definition))
        entries += _note_entries(view, others, patient_url=patient_url, people=people, zone=zone)
        found = act_entries(
            view,
            patient_ref=patient_url,
            exported=exported,
            people=people,
            key_of=key_of,
            zone=zone,
        )
        acts += [_entry(url, resource) for url, resource in found]
    entries += [_entry(url, resource) for url, resource in people.resources()]
    entries += acts
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
