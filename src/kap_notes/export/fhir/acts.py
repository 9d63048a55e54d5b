"""The signed acts on one note as bundle entries: its signature, co-signatures and returns
(Provenance on the QuestionnaireResponse), and each addendum (DocumentReference + Provenance).

Reviews whose signature does not verify are left out: the read model does not count them
either (:mod:`kap_notes.records.chart`), so the exported status never rests on them. Addenda
and the note's own signature are exported with a ``verified`` flag on the signature, as the PDF
shows them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from kap_notes.export.fhir.addendum import addendum_document
from kap_notes.export.fhir.common import NOTE_SYSTEM, urn_uuid
from kap_notes.export.fhir.practitioner import Practitioners
from kap_notes.export.fhir.provenance import Act, KeyOf, provenance
from kap_notes.export.fhir.status import revised_version
from kap_notes.records.chart import NoteView

__all__ = ["act_entries", "response_url"]

Entry = tuple[str, dict[str, Any]]
_DECISIONS = ("cosign", "return")


def response_url(note_id: str, version: int) -> str:
    """The bundle ``fullUrl`` of a note version's QuestionnaireResponse."""
    return urn_uuid("note", note_id, str(version))


def _revises(view: NoteView, exported: Collection[str]) -> dict[str, Any] | None:
    revised = revised_version(view)
    if revised is None:
        return None
    url = response_url(*revised)
    if url in exported:
        return {"reference": url}
    return {"identifier": {"system": NOTE_SYSTEM, "value": f"{revised[0]}|{revised[1]}"}}


def act_entries(
    view: NoteView,
    *,
    patient_ref: str,
    exported: Collection[str],
    people: Practitioners,
    key_of: KeyOf,
    zone: dt.tzinfo,
) -> list[Entry]:
    """Provenance (and addendum DocumentReference) entries for one exported note version;
    ``exported`` holds the fullUrls of every QuestionnaireResponse in the bundle."""
    note = view.note
    response = response_url(note.note_id, note.version)
    common: dict[str, Any] = {"people": people, "key_of": key_of, "zone": zone}
    entries: list[Entry] = []
    block = note.signature
    if block:
        act = Act(
            "sign",
            str(block.get("signer") or note.author),
            str(block.get("signed_at") or note.updated_at),
            block,
            view.signature_valid,
        )
        url = urn_uuid("provenance", "sign", note.note_id, str(note.version))
        revises = _revises(view, exported)
        entries.append(
            (
                url,
                provenance(act, resource_id=url[9:], targets=[response], revises=revises, **common),
            )
        )
    for review in view.reviews:
        current = review.note_version == note.version and review.decision in _DECISIONS
        if not (current and review.signature_valid):
            continue
        act = Act(review.decision, review.by, review.at, review.signature, True, review.text)
        url = urn_uuid("provenance", review.decision, review.review_id)
        entries.append((url, provenance(act, resource_id=url[9:], targets=[response], **common)))
    for addendum in view.addenda:
        document = urn_uuid("addendum", addendum.addendum_id)
        entries.append(
            (
                document,
                addendum_document(
                    addendum,
                    resource_id=document[9:],
                    patient_ref=patient_ref,
                    response_ref=response,
                    people=people,
                    zone=zone,
                ),
            )
        )
        act = Act(
            "addendum",
            addendum.author,
            addendum.created_at,
            addendum.signature,
            addendum.signature_valid,
        )
        url = urn_uuid("provenance", "addendum", addendum.addendum_id)
        entries.append((url, provenance(act, resource_id=url[9:], targets=[document], **common)))
    return entries
