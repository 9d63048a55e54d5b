"""FHIR Provenance for signatures, co-signatures, returns and addenda; statuses that match the
note's (issue 10, observation 9). Real vault, real Ed25519 signatures; every resource validated
with fhir.resources (R4B models, which R4 content satisfies)."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from kap_notes.export import export_fhir_bundle
from kap_notes.export.document import user_names
from kap_notes.export.fhir.acts import act_entries, response_url
from kap_notes.export.fhir.practitioner import Practitioners
from kap_notes.export.fhir.provenance import ACTIVITY_SYSTEM, SIGNATURE_EXTENSION
from kap_notes.export.fhir.status import observation_status, response_status
from kap_notes.model.note import Note
from kap_notes.records.chart import NoteView, chart
from kap_notes.service import lifecycle, review
from kap_notes.service.demo import record_course
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault.signing import verify_content
from tests.conftest import PASSPHRASES, create_clinic_vault
from tests.export.conftest import ADDENDUM, PROCESS_TEXT, RETURN_COMMENT, Recorded

UTC = dt.timezone.utc
AUTHOR_SIG, VERIFY_SIG = "1.2.840.10065.1.12.1.1", "1.2.840.10065.1.12.1.5"
REVIEW_SIG, ADDENDUM_SIG = "1.2.840.10065.1.12.1.13", "1.2.840.10065.1.12.1.15"
MODELS: dict[str, Any] = {
    "Provenance": Provenance,
    "Practitioner": Practitioner,
    "DocumentReference": DocumentReference,
    "QuestionnaireResponse": QuestionnaireResponse,
    "Observation": Observation,
}


@pytest.fixture(scope="module")
def bundle(recorded: Recorded) -> dict[str, Any]:
    return export_fhir_bundle(recorded.tess, recorded.patient_id, zone=UTC)


def _resources(bundle: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _url(resource: Mapping[str, Any]) -> str:
    return f"urn:uuid:{resource['id']}"


def _response(bundle: Mapping[str, Any], note_id: str) -> dict[str, Any]:
    (found,) = [
        r
        for r in _resources(bundle, "QuestionnaireResponse")
        if r["identifier"]["value"].split("|")[0] == note_id
    ]
    return found


def _acts(bundle: Mapping[str, Any], target: str) -> dict[str, dict[str, Any]]:
    """The Provenances targeting ``target``, by their local activity code."""
    found: dict[str, dict[str, Any]] = {}
    for p in _resources(bundle, "Provenance"):
        if {"reference": target} in p["target"]:
            (code,) = [c["code"] for c in p["activity"]["coding"] if c["system"] == ACTIVITY_SYSTEM]
            assert code not in found
            found[code] = p
    return found


def _observations_of(bundle: Mapping[str, Any], response: str) -> list[dict[str, Any]]:
    return [
        o
        for o in _resources(bundle, "Observation")
        if o["derivedFrom"] == [{"reference": response}]
    ]


def _practitioner_user(bundle: Mapping[str, Any], reference: Mapping[str, Any]) -> str:
    (found,) = [p for p in _resources(bundle, "Practitioner") if _url(p) == reference["reference"]]
    return str(found["identifier"][0]["value"])


def _signature_detail(signature: Mapping[str, Any], name: str) -> Any:
    (extension,) = [e for e in signature["extension"] if e["url"] == SIGNATURE_EXTENSION]
    values = [e for e in extension["extension"] if e["url"] == name]
    return (
        next((v for k, v in values[0].items() if k.startswith("value")), None) if values else None
    )


def test_every_new_resource_validates_and_references_resolve(bundle: dict[str, Any]) -> None:
    Bundle.model_validate(bundle)
    urls = {e["fullUrl"] for e in bundle["entry"]}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        model = MODELS.get(resource["resourceType"])
        if model is not None:
            model.model_validate(resource)
        references = [m for m in _references(resource) if m.startswith("urn:uuid:")]
        assert set(references) <= urls, resource["resourceType"]
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Provenance", "Practitioner", "DocumentReference"} <= kinds


def _references(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        found = [str(value["reference"])] if "reference" in value else []
        return found + [r for v in value.values() for r in _references(v)]
    if isinstance(value, list):
        return [r for v in value for r in _references(v)]
    return []


def test_cosigned_note_has_signature_cosign_and_addendum_provenance(
    recorded: Recorded, bundle: dict[str, Any]
) -> None:
    response = _response(bundle, recorded.cosigned)
    assert response["status"] == "completed"
    observations = _observations_of(bundle, _url(response))
    assert observations
    assert {o["status"] for o in observations} == {"final"}
    acts = _acts(bundle, _url(response))
    assert set(acts) == {"sign", "cosign"}
    sign, cosign = acts["sign"], acts["cosign"]
    assert sign["signature"][0]["type"][0]["code"] == AUTHOR_SIG
    assert sign["activity"]["coding"][0]["code"] == "LA"
    assert sign["agent"][0]["type"]["coding"][0]["code"] == "author"
    assert _practitioner_user(bundle, sign["agent"][0]["who"]) == recorded.tess.user_id
    assert cosign["signature"][0]["type"][0]["code"] == VERIFY_SIG
    assert cosign["agent"][0]["type"]["coding"][0]["code"] == "verifier"
    assert _practitioner_user(bundle, cosign["agent"][0]["who"]) == recorded.sam.user_id
    assert _practitioner_user(bundle, response["author"]) == recorded.tess.user_id
    # the addendum: its own DocumentReference linked to the note, and its own Provenance
    (document,) = [
        d
        for d in _resources(bundle, "DocumentReference")
        if d["context"]["related"] == [{"reference": _url(response)}]
    ]
    assert document["docStatus"] == "final"
    text = base64.b64decode(document["content"][0]["attachment"]["data"]).decode()
    assert text == ADDENDUM
    assert _practitioner_user(bundle, document["author"][0]) == recorded.tess.user_id
    (added,) = _acts(bundle, _url(document)).values()
    assert added["signature"][0]["type"][0]["code"] == ADDENDUM_SIG
    assert added["activity"]["coding"][0]["code"] == "APPEND"
    assert recorded.returned != recorded.cosigned


def test_returned_note_is_not_final_and_has_a_return_provenance(
    recorded: Recorded, bundle: dict[str, Any]
) -> None:
    response = _response(bundle, recorded.returned)
    assert response["status"] == "in-progress"
    observations = _observations_of(bundle, _url(response))
    assert observations  # the integration note's PHQ-9 and GAD-7 totals
    assert {o["status"] for o in observations} == {"preliminary"}
    acts = _acts(bundle, _url(response))
    assert set(acts) == {"sign", "return"}
    returned = acts["return"]
    assert returned["reason"] == [{"text": RETURN_COMMENT}]
    assert returned["signature"][0]["type"][0]["code"] == REVIEW_SIG
    assert returned["agent"][0]["type"]["coding"][0]["code"] == "verifier"
    assert _practitioner_user(bundle, returned["agent"][0]["who"]) == recorded.sam.user_id


def test_signature_data_is_the_notes_own_ed25519_signature(
    recorded: Recorded, bundle: dict[str, Any]
) -> None:
    session = recorded.tess
    for note_id, act in [(recorded.cosigned, "sign"), (recorded.returned, "sign")]:
        signature = _acts(bundle, _url(_response(bundle, note_id)))[act]["signature"][0]
        raw = base64.b64decode(signature["data"])
        assert len(raw) == 64
        assert signature["sigFormat"] == "application/octet-stream"
        record = session.get_record(note_id)
        block = dict(record.content["signature"])
        # the exported bytes verify as the note's signature
        content = {**record.content, "signature": {**block, "value": raw.hex()}}
        assert verify_content(session.signing_key_of, content, note_id, record.version)
        flipped = bytes([raw[0] ^ 1]) + raw[1:]
        content = {**record.content, "signature": {**block, "value": flipped.hex()}}
        assert not verify_content(session.signing_key_of, content, note_id, record.version)
        key = session.signing_key_of(session.user_id)
        assert key is not None
        assert _signature_detail(signature, "keyId") == f"sha256:{hashlib.sha256(key).hexdigest()}"
        assert _signature_detail(signature, "verified") is True
        assert signature["when"] == dt.datetime.fromisoformat(block["signed_at"]).isoformat(
            timespec="seconds"
        )


def test_provenance_carries_no_phi_beyond_the_note(
    recorded: Recorded, bundle: dict[str, Any]
) -> None:
    profile = recorded.course.profile
    acts = json.dumps(
        _resources(bundle, "Provenance") + _resources(bundle, "Practitioner"),
    )
    documents = _resources(bundle, "DocumentReference")
    texts = [str(s) for step in recorded.course.steps for s in _strings(step.answers)]
    long_texts = {t for t in texts if len(t) >= 12}
    assert long_texts
    for secret in [profile["name"], profile["date_of_birth"], profile["chart_code"], *long_texts]:
        assert secret not in acts
        assert secret not in json.dumps(documents)
    assert ADDENDUM not in acts
    assert ADDENDUM not in json.dumps(documents)
    assert acts.count(RETURN_COMMENT) == 1
    assert PROCESS_TEXT not in json.dumps(bundle)
    decoded = [base64.b64decode(d["content"][0]["attachment"]["data"]).decode() for d in documents]
    assert decoded == [ADDENDUM]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_unverified_review_is_left_out_and_bad_signature_is_flagged(recorded: Recorded) -> None:
    session = recorded.tess
    record = chart(session, recorded.patient_id)
    (view,) = [v for v in record.notes if v.note.note_id == recorded.cosigned]
    people = Practitioners(user_names(session.policy.users.get))
    args: dict[str, Any] = {
        "patient_ref": "urn:uuid:patient",
        "exported": {response_url(view.note.note_id, view.note.version)},
        "people": people,
        "key_of": session.signing_key_of,
        "zone": UTC,
    }
    kinds = _kinds(act_entries(view, **args))
    assert kinds.count("cosign") == 1
    forged = dataclasses.replace(
        view,
        signature_valid=False,
        reviews=[dataclasses.replace(r, signature_valid=False) for r in view.reviews],
    )
    entries = act_entries(forged, **args)
    assert "cosign" not in _kinds(entries)
    (sign,) = [r for _, r in entries if _code(r) == "sign"]
    assert _signature_detail(sign["signature"][0], "verified") is False
    assert _signature_detail(sign["signature"][0], "keyId") is None


def _code(resource: Mapping[str, Any]) -> str | None:
    if resource["resourceType"] != "Provenance":
        return None
    return next(
        str(c["code"]) for c in resource["activity"]["coding"] if c["system"] == ACTIVITY_SYSTEM
    )


def _kinds(entries: list[tuple[str, dict[str, Any]]]) -> list[str | None]:
    return [_code(resource) for _, resource in entries]


def _view(status: str, *, revision: bool) -> NoteView:
    extra = {"revises": {"note": "rec_original", "version": 2}} if revision else {}
    note = Note("rec_x", "pt_x", 2, "integration", {}, "user_x", extra=extra)
    return NoteView(note=note, status=status, signature_valid=status != "draft")


@pytest.mark.parametrize("revision", [False, True])
@pytest.mark.parametrize("status", ["draft", "signed", "cosigned", "returned", "superseded"])
def test_statuses_follow_the_note(status: str, revision: bool) -> None:
    view = _view(status, revision=revision)
    accepted = status in ("signed", "cosigned")
    expected_response = {
        "draft": "in-progress",
        "returned": "in-progress",
        "superseded": "stopped",
    }.get(status, "amended" if revision else "completed")
    assert response_status(view) == expected_response
    observation = observation_status(view)
    if status == "superseded":
        assert observation is None
    elif accepted:
        assert observation == ("amended" if revision else "final")
    else:
        assert observation == "preliminary"


@dataclasses.dataclass
class Revised:
    bundle: dict[str, Any]
    original: str
    revision: str
    tess_id: str


@pytest.fixture(scope="module")
def revised(tmp_path_factory: pytest.TempPathFactory) -> Revised:
    """A short course; the integration note is returned, revised, signed and co-signed."""
    path: Path = tmp_path_factory.mktemp("fhir-revision") / "vault"
    created, _ = create_clinic_vault(path)
    tess = created.vault.unlock("tess", PASSPHRASES["tess"])
    sam = created.vault.unlock("sam", PASSPHRASES["sam"])
    course = synthetic_course(7, start=dt.date(2026, 2, 2))
    course.steps = course.steps[:4]  # preparation, intention, dosing, integration
    patient_id, note_ids = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    original = note_ids[3]
    review.return_note(sam, original, RETURN_COMMENT, passphrase=PASSPHRASES["sam"])
    revision = lifecycle.revise_note(tess, original).note_id
    lifecycle.sign_note(tess, revision, PASSPHRASES["tess"])
    review.cosign(sam, revision, passphrase=PASSPHRASES["sam"])
    bundle = export_fhir_bundle(tess, patient_id, zone=UTC)
    return Revised(bundle, original, revision, tess.user_id)


def test_revision_is_amended_and_names_the_returned_version(revised: Revised) -> None:
    bundle = revised.bundle
    Bundle.model_validate(bundle)
    original = _response(bundle, revised.original)
    revision = _response(bundle, revised.revision)
    QuestionnaireResponse.model_validate(original)
    # the returned original stays, stopped, with its signature and return, but no observations
    assert original["status"] == "stopped"
    assert _observations_of(bundle, _url(original)) == []
    assert set(_acts(bundle, _url(original))) == {"sign", "return"}
    # the signed, co-signed revision is the amended version
    assert revision["status"] == "amended"
    observations = _observations_of(bundle, _url(revision))
    assert observations
    assert {o["status"] for o in observations} == {"amended"}
    acts = _acts(bundle, _url(revision))
    assert set(acts) == {"sign", "cosign"}
    assert acts["sign"]["entity"] == [{"role": "revision", "what": {"reference": _url(original)}}]
    Provenance.model_validate(acts["sign"])
