"""An addendum as a FHIR R4 DocumentReference.

Why DocumentReference: an addendum is a dated, authored, signed piece of text that never alters
the note it is added to — a small clinical document of its own. FHIR R4 has no addendum element
on QuestionnaireResponse, and a new QuestionnaireResponse version would claim the note changed.
DocumentReference carries exactly what an addendum has: ``author``, ``authenticator`` (the
signer), ``date``, ``docStatus`` ``final`` (it is signed), the text as a ``text/plain``
attachment, and ``context.related`` pointing at the note's QuestionnaireResponse
(``relatesTo``/``appends`` would need the note itself to be a DocumentReference). Its signature
is a Provenance (:mod:`.provenance`, activity ``addendum``).
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from kap_notes.export.fhir.common import coding, fhir_datetime
from kap_notes.export.fhir.practitioner import Practitioners
from kap_notes.records.chart import Addendum

__all__ = ["ADDENDUM_SYSTEM", "DOCUMENT_TYPE_SYSTEM", "addendum_document"]

#: Identifier system of addenda (their record ids).
ADDENDUM_SYSTEM = "urn:kap-notes:addendum"
DOCUMENT_TYPE_SYSTEM = "urn:kap-notes:document-type"


def addendum_document(
    addendum: Addendum,
    *,
    resource_id: str,
    patient_ref: str,
    response_ref: str,
    people: Practitioners,
    zone: dt.tzinfo,
) -> dict[str, Any]:
    """One addendum as a DocumentReference linked to its note's QuestionnaireResponse."""
    block = addendum.signature or {}
    signer = str(block.get("signer") or addendum.author)
    signer_name = str(block.get("signer_name") or "") or None
    when = fhir_datetime(addendum.created_at, zone)
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": resource_id,
        "identifier": [{"system": ADDENDUM_SYSTEM, "value": addendum.addendum_id}],
        "status": "current",
        "docStatus": "final" if addendum.signature else "preliminary",
        "type": {
            "coding": [coding(DOCUMENT_TYPE_SYSTEM, "addendum", "Addendum")],
            "text": "Addendum",
        },
        "subject": {"reference": patient_ref},
        "date": when,
        "author": [people.ref(addendum.author)],
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(addendum.text.encode("utf-8")).decode("ascii"),
                    "creation": when,
                }
            }
        ],
        "context": {"related": [{"reference": response_ref}]},
    }
    if addendum.signature:
        resource["authenticator"] = people.ref(signer, signer_name)
    return resource
