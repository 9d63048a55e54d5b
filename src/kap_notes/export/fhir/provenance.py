"""FHIR R4 Provenance for each signed act on a note: the author's signature, a supervisor's
co-signature or return, and each addendum.

============  ===================  ==========================  ==========================
act           target               activity                    Signature.type (ASTM E1762)
============  ===================  ==========================  ==========================
sign          QuestionnaireResp.   DocumentCompletion ``LA``   1.2.840.10065.1.12.1.1
                                                               Author's Signature
co-sign       QuestionnaireResp.   ParticipationType ``VRF``   ...1.5 Verification Signature
return        QuestionnaireResp.   (local ``return`` only)     ...1.13 Review Signature
addendum      DocumentReference    DataOperation ``APPEND``    ...1.15 Addendum Signature
============  ===================  ==========================  ==========================

Every activity also carries a local coding (``urn:kap-notes:provenance-activity``: ``sign``,
``cosign``, ``return``, ``addendum``). The agent is the signer's Practitioner, typed ``author``
(sign, addendum) or ``verifier`` (co-sign, return). A co-signature's attestation and a return's
comment are the Provenance ``reason`` text — the same words the PDF export shows. The signature
of a revision names the returned version it replaces as an entity with role ``revision``.

``Signature.data`` is the base64 Ed25519 signature kap-notes made (``sigFormat``
``application/octet-stream``). It signs the note's canonical kap-notes JSON with the record id,
version, signer and time (:mod:`kap_notes.vault.signing`), not the FHIR resource, so a receiver
can attribute it but only kap-notes can check it. An extension says whether it verified at
export and, if it did, the SHA-256 of the signer's public key (``keyId``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kap_notes.export.fhir.common import coding, fhir_datetime
from kap_notes.export.fhir.practitioner import Practitioners

__all__ = ["ACTIVITY_SYSTEM", "SIGNATURE_EXTENSION", "SIGNATURE_TYPES", "Act", "provenance"]

#: Local code system of the activities (always present beside any standard coding).
ACTIVITY_SYSTEM = "urn:kap-notes:provenance-activity"
#: Extension on Signature: algorithm, whether it verified at export, and the key's SHA-256.
SIGNATURE_EXTENSION = "urn:kap-notes:fhir:signature"
SIGNATURE_TYPES = "urn:iso-astm:E1762-95:2013"
_V3 = "http://terminology.hl7.org/CodeSystem/"
_PARTICIPANT = f"{_V3}provenance-participant-type"
KeyOf = Callable[[str], bytes | None]


@dataclass(frozen=True)
class _Kind:
    standard: dict[str, str] | None
    display: str
    agent: str
    signature: dict[str, str]


_KINDS = {
    "sign": _Kind(
        coding(f"{_V3}v3-DocumentCompletion", "LA", "legally authenticated"),
        "Signed by the author",
        "author",
        coding(SIGNATURE_TYPES, "1.2.840.10065.1.12.1.1", "Author's Signature"),
    ),
    "cosign": _Kind(
        coding(f"{_V3}v3-ParticipationType", "VRF", "verifier"),
        "Co-signed by a supervisor",
        "verifier",
        coding(SIGNATURE_TYPES, "1.2.840.10065.1.12.1.5", "Verification Signature"),
    ),
    "return": _Kind(
        None,
        "Returned to the author for revision",
        "verifier",
        coding(SIGNATURE_TYPES, "1.2.840.10065.1.12.1.13", "Review Signature"),
    ),
    "addendum": _Kind(
        coding(f"{_V3}v3-DataOperation", "APPEND", "append"),
        "Addendum added",
        "author",
        coding(SIGNATURE_TYPES, "1.2.840.10065.1.12.1.15", "Addendum Signature"),
    ),
}


@dataclass(frozen=True)
class Act:
    """One signed act: who (user id), when, its signature block and whether it verified."""

    kind: str
    by: str
    at: str
    block: Mapping[str, Any] | None
    verified: bool
    reason: str = ""


def _key_id(key_of: KeyOf, signer: str) -> str | None:
    key = key_of(signer)
    return None if key is None else f"sha256:{hashlib.sha256(key).hexdigest()}"


def _signature(
    act: Act, kind: _Kind, people: Practitioners, key_of: KeyOf, zone: dt.tzinfo
) -> dict[str, Any] | None:
    block = act.block
    if not block or not block.get("signed_at"):
        return None
    signer = str(block.get("signer") or act.by)
    details: list[dict[str, Any]] = [
        {"url": "algorithm", "valueCode": str(block.get("algorithm") or "ed25519")},
        {"url": "verified", "valueBoolean": act.verified},
    ]
    key_id = _key_id(key_of, signer) if act.verified else None
    if key_id:
        details.append({"url": "keyId", "valueString": key_id})
    element: dict[str, Any] = {
        "extension": [{"url": SIGNATURE_EXTENSION, "extension": details}],
        "type": [kind.signature],
        "when": fhir_datetime(str(block["signed_at"]), zone),
        "who": people.ref(signer, str(block.get("signer_name") or "") or None),
    }
    try:
        raw = bytes.fromhex(str(block.get("value", "")))
    except ValueError:
        raw = b""
    if raw:
        element["sigFormat"] = "application/octet-stream"
        element["data"] = base64.b64encode(raw).decode("ascii")
    return element


def provenance(
    act: Act,
    *,
    resource_id: str,
    targets: Sequence[str],
    people: Practitioners,
    key_of: KeyOf,
    zone: dt.tzinfo,
    revises: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Provenance of one act on ``targets`` (bundle fullUrls); ``revises`` is a Reference to
    the version a signed revision replaces."""
    kind = _KINDS[act.kind]
    codings = [kind.standard] if kind.standard else []
    codings.append(coding(ACTIVITY_SYSTEM, act.kind, kind.display))
    when = fhir_datetime(act.at, zone)
    resource: dict[str, Any] = {
        "resourceType": "Provenance",
        "id": resource_id,
        "target": [{"reference": url} for url in targets],
        "occurredDateTime": when,
        "recorded": when,
        "activity": {"coding": codings, "text": kind.display},
        "agent": [
            {
                "type": {"coding": [coding(_PARTICIPANT, kind.agent, kind.agent.capitalize())]},
                "who": people.ref(act.by),
            }
        ],
    }
    if act.reason.strip():
        resource["reason"] = [{"text": act.reason}]
    if revises is not None:
        resource["entity"] = [{"role": "revision", "what": dict(revises)}]
    if signature := _signature(act, kind, people, key_of, zone):
        resource["signature"] = [signature]
    return resource
