"""FHIR R4 statuses that say what the note's status (:mod:`kap_notes.records.chart`) says.

=============  ============================  ====================  =============================
note status    QuestionnaireResponse.status  Observation.status    why
=============  ============================  ====================  =============================
draft          ``in-progress``               ``preliminary``       unsigned, still being written
signed         ``completed``                 ``final``             signed by its author
cosigned       ``completed``                 ``final``             signed and co-signed
returned       ``in-progress``               ``preliminary``       sent back for revision: not
                                                                   final, changes are expected
superseded     ``stopped``                   (none exported)       returned and replaced by a
                                                                   revision; the response stays
                                                                   for the record's history
=============  ============================  ====================  =============================

A signed (or co-signed) **revision** of a returned note is ``amended`` in both resources: it was
completed once, returned, and is now the changed, signed version (its signature Provenance names
the version it revises). FHIR R4 value sets: QuestionnaireResponse ``in-progress | completed |
amended | entered-in-error | stopped``; Observation ``registered | preliminary | final | amended |
corrected | cancelled | entered-in-error | unknown``.
"""

from __future__ import annotations

from collections.abc import Mapping

from kap_notes.records.chart import NoteView

__all__ = ["is_revision", "observation_status", "response_status", "revised_version"]

_RESPONSE = {
    "draft": "in-progress",
    "signed": "completed",
    "cosigned": "completed",
    "returned": "in-progress",
    "superseded": "stopped",
}
_OBSERVATION = {
    "draft": "preliminary",
    "signed": "final",
    "cosigned": "final",
    "returned": "preliminary",
}
_ACCEPTED = ("signed", "cosigned")


def revised_version(view: NoteView) -> tuple[str, int] | None:
    """(note id, version) of the returned note this note revises, if it is a revision."""
    revises = view.note.extra.get("revises")
    if not isinstance(revises, Mapping) or not revises.get("note"):
        return None
    return str(revises["note"]), int(revises.get("version") or 0)


def is_revision(view: NoteView) -> bool:
    return revised_version(view) is not None


def response_status(view: NoteView) -> str:
    """The QuestionnaireResponse status of one note version."""
    if view.status in _ACCEPTED and is_revision(view):
        return "amended"
    return _RESPONSE.get(view.status, "in-progress")


def observation_status(view: NoteView) -> str | None:
    """The status of the note's instrument-total Observations (None: export none)."""
    if view.status in _ACCEPTED and is_revision(view):
        return "amended"
    return _OBSERVATION.get(view.status)
