"""A FHIR R4 QuestionnaireResponse from one note: typed answers, repeating groups as repeated
items, embedded instruments as groups (linkIds as in :mod:`.questionnaire`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from kap_notes.export.fhir.common import NOTE_SYSTEM, fhir_datetime, option_coding
from kap_notes.export.fhir.questionnaire import linked
from kap_notes.export.values import is_answered
from kap_notes.forms import FormDefinition, Item, prune_disabled
from kap_notes.model.note import Note

__all__ = ["answer_values", "questionnaire_response"]


def _choice(definition: FormDefinition, item: Item, raw: Any) -> dict[str, Any]:
    option = item.option_for(raw)
    if option is not None:
        return {"valueCoding": option_coding(definition, item, option)}
    return {"valueString": str(raw)}


def _scalar(item: Item, raw: Any, zone: dt.tzinfo) -> dict[str, Any]:
    try:
        if item.type == "boolean" and isinstance(raw, bool):
            return {"valueBoolean": raw}
        if item.type == "integer" and float(raw).is_integer():
            return {"valueInteger": int(float(raw))}
        if item.type == "decimal":
            return {"valueDecimal": float(raw)}
        if item.type == "date":
            return {"valueDate": dt.date.fromisoformat(str(raw)).isoformat()}
        if item.type == "dateTime":
            return {"valueDateTime": fhir_datetime(str(raw), zone)}
    except (TypeError, ValueError):
        pass  # a draft may hold text that is not (yet) a valid value: keep it as text
    return {"valueString": str(raw)}


def answer_values(
    definition: FormDefinition, item: Item, raw: Any, zone: dt.tzinfo
) -> list[dict[str, Any]]:
    """The FHIR ``answer`` list for one answered question (several for multi-choice)."""
    if item.type in ("choice", "open-choice", "multi-choice"):
        entries = raw if isinstance(raw, list) else [raw]
        return [_choice(definition, item, entry) for entry in entries]
    return [_scalar(item, raw, zone)]


def _items(
    definition: FormDefinition,
    items: Sequence[Item],
    answers: Mapping[str, Any],
    computed: Mapping[str, Any],
    prefix: str,
    *,
    zone: dt.tzinfo,
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in items:
        link, raw = item.link_id, answers.get(item.link_id)
        base = {"linkId": linked(prefix, link), "text": item.text}
        if item.type == "display":
            continue
        if item.type == "group" and not item.repeats:
            children = _items(definition, item.items, answers, computed, prefix, zone=zone)
            if children:
                found.append({**base, "item": children})
        elif item.is_repeating_group:
            rows = raw if isinstance(raw, list) else []
            extra = computed.get(link)
            extra = extra if isinstance(extra, list) else []
            for index, row in enumerate(rows):
                row_computed = extra[index] if index < len(extra) else {}
                merged = {**(row if isinstance(row, Mapping) else {}), **row_computed}
                children = _items(definition, item.items, merged, {}, prefix, zone=zone)
                if children:
                    found.append({**base, "item": children})
        elif item.instrument_url is not None:
            instrument = definition.instrument_for(item)
            inner = raw if isinstance(raw, Mapping) else {}
            children = _items(instrument, instrument.items, inner, {}, base["linkId"], zone=zone)
            if children:
                found.append({**base, "item": children})
        else:
            value = computed.get(link) if item.is_computed else raw
            if is_answered(value):
                found.append({**base, "answer": answer_values(definition, item, value, zone)})
    return found


def questionnaire_response(
    definition: FormDefinition,
    note: Note,
    computed: Mapping[str, Any],
    *,
    resource_id: str,
    patient_ref: str,
    author: Mapping[str, str],
    status: str,
    zone: dt.tzinfo,
) -> dict[str, Any]:
    """One note as a QuestionnaireResponse; ``status`` from
    :func:`~kap_notes.export.fhir.status.response_status`, ``author`` a Reference."""
    signed_at = (note.signature or {}).get("signed_at")
    authored = signed_at or note.updated_at or note.created_at
    answers = prune_disabled(definition, note.answers)
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": resource_id,
        "identifier": {"system": NOTE_SYSTEM, "value": f"{note.note_id}|{note.version}"},
        "questionnaire": definition.canonical,
        "status": status,
        "subject": {"reference": patient_ref},
        "author": dict(author),
        "item": _items(definition, definition.items, answers, computed, "", zone=zone),
    }
    if authored:
        resource["authored"] = fhir_datetime(str(authored), zone)
    return resource
