"""FHIR R4 export validated with fhir.resources (R4B models, which R4 content satisfies)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from pydantic import ValidationError

from kap_notes.export import export_fhir_bundle, questionnaire
from kap_notes.forms import default_registry
from tests.export.conftest import PROCESS_TEXT, Recorded

PHQ9_TOTAL, GAD7_TOTAL = "44261-6", "70274-6"
BERLIN = dt.timezone(dt.timedelta(hours=1))


@pytest.fixture(scope="module")
def bundle(recorded: Recorded) -> dict[str, Any]:
    return export_fhir_bundle(recorded.tess, recorded.patient_id, zone=BERLIN)


def _resources(bundle: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _link_ids(items: list[dict[str, Any]]) -> Iterator[str]:
    for item in items:
        yield item["linkId"]
        yield from _link_ids(item.get("item", []))


def _totals(answers: Mapping[str, str], skip: str = "") -> int:
    return sum(int(v) for k, v in answers.items() if k != skip)


def test_bundle_validates(bundle: dict[str, Any]) -> None:
    model = Bundle.model_validate(bundle)
    assert model.type == "collection"
    kinds = {e.resource.get_resource_type() for e in model.entry}
    assert kinds == {
        "Patient",
        "Questionnaire",
        "QuestionnaireResponse",
        "Observation",
        "Practitioner",
        "Provenance",
        "DocumentReference",
    }


def test_patient_resource(recorded: Recorded, bundle: dict[str, Any]) -> None:
    (patient,) = _resources(bundle, "Patient")
    profile = recorded.course.profile
    assert patient["identifier"][0]["value"] == profile["chart_code"]
    assert patient["name"][0]["text"] == profile["name"]
    assert patient["birthDate"] == profile["date_of_birth"]
    assert patient["gender"] == "unknown"


def test_observations_hold_the_course_totals_with_loinc(
    recorded: Recorded, bundle: dict[str, Any]
) -> None:
    expected: dict[str, list[tuple[str, int]]] = {PHQ9_TOTAL: [], GAD7_TOTAL: []}
    for step in recorded.course.steps:
        if "phq9" in step.answers:
            when = step.answers.get("session_datetime") or step.answers["session_date"]
            day = str(when)[:10]
            expected[PHQ9_TOTAL].append((day, _totals(step.answers["phq9"], "phq9_difficulty")))
            expected[GAD7_TOTAL].append((day, _totals(step.answers["gad7"])))
    observations = _resources(bundle, "Observation")
    for code, values in expected.items():
        found = [
            (o["effectiveDateTime"][:10], o["valueInteger"])
            for o in observations
            if o["code"]["coding"][0]["system"] == "http://loinc.org"
            and o["code"]["coding"][0]["code"] == code
        ]
        assert sorted(found) == sorted(values), code
    assert len(values) >= 8
    returned = {f"urn:uuid:{r['id']}" for r in _responses_of(bundle, recorded.returned)}
    for o in observations:
        expected_status = "preliminary" if o["derivedFrom"][0]["reference"] in returned else "final"
        assert o["status"] == expected_status


def test_observation_details(recorded: Recorded, bundle: dict[str, Any]) -> None:
    observations = _resources(bundle, "Observation")
    responses = {f"urn:uuid:{r['id']}" for r in _resources(bundle, "QuestionnaireResponse")}
    phq9 = next(o for o in observations if o["code"]["coding"][0]["code"] == PHQ9_TOTAL)
    assert phq9["effectiveDateTime"].endswith("+01:00")
    assert phq9["interpretation"][0]["text"] in {
        "Minimal",
        "Mild",
        "Moderate",
        "Moderately severe",
        "Severe",
    }
    assert phq9["derivedFrom"][0]["reference"] in responses
    assert phq9["category"][0]["coding"][0]["code"] == "survey"
    cadss = [o for o in observations if o["code"]["coding"][0]["code"] == "cadss-total"]
    assert cadss
    assert cadss[0]["code"]["coding"][0]["system"] == "urn:kap-notes:instrument-total"
    dosing = [s.answers for s in recorded.course.steps if s.form == "dosing"]
    assert sorted(o["valueInteger"] for o in cadss) == sorted(
        a["cadss"]["cadss_total"] for a in dosing
    )


def _responses_of(bundle: Mapping[str, Any], note_id: str) -> list[dict[str, Any]]:
    return [
        r
        for r in _resources(bundle, "QuestionnaireResponse")
        if r["identifier"]["value"].startswith(f"{note_id}|")
    ]


def test_responses_match_their_questionnaires(recorded: Recorded, bundle: dict[str, Any]) -> None:
    questionnaires = {
        f"{q['url']}|{q['version']}": set(_link_ids(q["item"]))
        for q in _resources(bundle, "Questionnaire")
    }
    responses = _resources(bundle, "QuestionnaireResponse")
    assert len(responses) == 18
    for response in responses:
        QuestionnaireResponse.model_validate(response)
        returned = response["identifier"]["value"].startswith(f"{recorded.returned}|")
        assert response["status"] == ("in-progress" if returned else "completed")
        assert set(_link_ids(response["item"])) <= questionnaires[response["questionnaire"]]


def test_response_has_repeating_rows_and_instruments(
    recorded: Recorded, bundle: dict[str, Any]
) -> None:
    dosing = next(
        r for r in _resources(bundle, "QuestionnaireResponse") if ":dosing|" in r["questionnaire"]
    )
    vitals = [i for i in dosing["item"] if i["linkId"] == "vitals"]
    assert len(vitals) == len(recorded.course.steps[2].answers["vitals"])
    systolic = next(i for i in vitals[0]["item"] if i["linkId"] == "systolic")
    assert (
        systolic["answer"][0]["valueInteger"]
        == recorded.course.steps[2].answers["vitals"][0]["systolic"]
    )
    preparation = next(
        r
        for r in _resources(bundle, "QuestionnaireResponse")
        if ":preparation|" in r["questionnaire"]
    )
    ids = set(_link_ids(preparation["item"]))
    assert {"phq9", "phq9.phq9_1", "phq9.phq9_9", "gad7.gad7_7"} <= ids
    route = next(i for i in _walk(dosing["item"]) if i["linkId"] == "route")
    assert route["answer"][0]["valueCoding"]["code"] == "esketamine_in"


def _walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from _walk(item.get("item", []))


def test_process_notes_only_when_asked(recorded: Recorded, bundle: dict[str, Any]) -> None:
    assert PROCESS_TEXT not in str(bundle)
    included = export_fhir_bundle(recorded.tess, recorded.patient_id, include_process=True)
    Bundle.model_validate(included)
    assert PROCESS_TEXT in str(included)


@pytest.mark.parametrize("definition", default_registry().latest(), ids=lambda d: d.name)
def test_questionnaire_per_template_validates(definition: Any) -> None:
    resource = questionnaire(definition)
    model = Questionnaire.model_validate(resource)
    assert model.url == definition.url
    assert model.version == definition.version
    ids = list(_link_ids(resource["item"]))
    assert len(ids) == len(set(ids))


def test_questionnaire_mapping_details() -> None:
    dosing = questionnaire(default_registry().get("dosing"))
    items = {i["linkId"]: i for i in _walk(dosing["item"])}
    assert items["vitals"]["repeats"] is True
    assert items["vitals"]["type"] == "group"
    assert items["route"]["required"] is True
    assert {o["valueCoding"]["code"] for o in items["route"]["answerOption"]} >= {"iv", "im"}
    assert items["infusion_minutes"]["enableWhen"] == [
        {
            "question": "route",
            "operator": "=",
            "answerCoding": {
                "system": "urn:kap-notes:form:dosing:route",
                "code": "iv",
                "display": "IV infusion",
            },
        }
    ]
    assert items["booster_dose_mg"]["enableWhen"][0]["answerBoolean"] is True
    assert items["dose_mg_per_kg"]["readOnly"] is True
    assert items["moaas"]["type"] == "group"
    preparation = questionnaire(default_registry().get("preparation"))
    pcl5 = next(i for i in _walk(preparation["item"]) if i["linkId"] == "pcl5")
    assert pcl5["enableBehavior"] == "any"
    assert len(pcl5["enableWhen"]) == 2
    indication = next(i for i in _walk(preparation["item"]) if i["linkId"] == "indication")
    assert indication["repeats"] is True
    phq9 = next(i for i in _walk(preparation["item"]) if i["linkId"] == "phq9")
    assert phq9["code"][0]["code"] == "44249-1"


def test_invalid_resources_fail_validation(bundle: dict[str, Any]) -> None:
    observation = dict(_resources(bundle, "Observation")[0])
    Observation.model_validate(observation)
    with pytest.raises(ValidationError):
        Observation.model_validate({**observation, "valueInteger": "twelve"})
    with pytest.raises(ValidationError):
        Observation.model_validate({**observation, "score": 12})  # not an R4 element
    with pytest.raises(ValidationError):
        Observation.model_validate({**observation, "effectiveDateTime": "2026-01-05T10:00"})
