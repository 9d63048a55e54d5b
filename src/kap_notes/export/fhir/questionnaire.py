"""A FHIR R4 Questionnaire from a kap-notes template (forms and instruments alike).

Embedded instruments become groups whose items are prefixed with the group's linkId
(``phq9.phq9_1``) so linkIds stay unique; responses use the same scheme.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kap_notes.export.fhir.common import option_coding, option_system
from kap_notes.forms import FormDefinition, Item

__all__ = ["FHIR_TYPES", "linked", "questionnaire"]

#: kap-notes item type → FHIR R4 Questionnaire item type.
FHIR_TYPES = {
    "string": "string",
    "text": "text",
    "boolean": "boolean",
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "dateTime": "dateTime",
    "choice": "choice",
    "open-choice": "open-choice",
    "multi-choice": "choice",
    "group": "group",
    "instrument": "group",
    "display": "display",
}
_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
_MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
_MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"
_ANSWER_KEYS = {
    "boolean": "answerBoolean",
    "integer": "answerInteger",
    "decimal": "answerDecimal",
    "date": "answerDate",
    "dateTime": "answerDateTime",
}


def linked(prefix: str, link_id: str) -> str:
    """The linkId an item has in a questionnaire (prefixed inside embedded instruments)."""
    return f"{prefix}.{link_id}" if prefix else link_id


def _number(item: Item, value: float) -> dict[str, Any]:
    return {"valueInteger": int(value)} if item.type == "integer" else {"valueDecimal": value}


def _extensions(item: Item) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if item.unit:
        found.append({"url": _UNIT, "valueCoding": {"display": item.unit}})
    if item.type in ("integer", "decimal"):
        if item.range_min is not None:
            found.append({"url": _MIN, **_number(item, item.range_min)})
        if item.range_max is not None:
            found.append({"url": _MAX, **_number(item, item.range_max)})
    return found


def _condition_answer(definition: FormDefinition, question: Item | None, answer: Any) -> Any:
    kind = question.type if question is not None else "string"
    if isinstance(answer, bool) or kind == "boolean":
        return "answerBoolean", bool(answer)
    if question is not None and kind in ("choice", "multi-choice", "open-choice"):
        option = question.option_for(answer)
        if option is not None:
            return "answerCoding", option_coding(definition, question, option)
        return "answerCoding", {"system": option_system(definition, question), "code": str(answer)}
    if kind in _ANSWER_KEYS:
        value = int(answer) if kind == "integer" else float(answer) if kind == "decimal" else answer
        return _ANSWER_KEYS[kind], value
    return "answerString", str(answer)


def _enable_when(definition: FormDefinition, item: Item, prefix: str) -> dict[str, Any]:
    conditions = []
    for condition in item.enable_when:
        question = definition.find(condition.question)
        answers = condition.answer if isinstance(condition.answer, list) else [condition.answer]
        for answer in answers:
            if condition.operator == "exists":
                key, value = "answerBoolean", bool(answer)
            else:
                key, value = _condition_answer(definition, question, answer)
            conditions.append(
                {
                    "question": linked(prefix, condition.question),
                    "operator": condition.operator,
                    key: value,
                }
            )
    if not conditions:
        return {}
    behaviour = "any" if len(conditions) > len(item.enable_when) else item.enable_behavior
    return {
        "enableWhen": conditions,
        **({"enableBehavior": behaviour} if len(conditions) > 1 else {}),
    }


def _item(definition: FormDefinition, item: Item, prefix: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "linkId": linked(prefix, item.link_id),
        "text": item.text,
        "type": FHIR_TYPES[item.type],
    }
    if item.short and item.short != item.text:
        entry["prefix"] = item.short
    codes: tuple[Mapping[str, str], ...] = item.codes
    children: list[dict[str, Any]] = []
    if item.instrument_url is not None:
        instrument = definition.instrument_for(item)
        codes = codes or instrument.codes
        group = linked(prefix, item.link_id)
        children = [_item(instrument, child, group) for child in instrument.items]
        entry["definition"] = instrument.canonical
    elif item.type == "group":
        children = [_item(definition, child, prefix) for child in item.items]
    if codes:
        entry["code"] = [dict(c) for c in codes]
    entry.update(_enable_when(definition, item, prefix))
    if item.required and item.type != "display":
        entry["required"] = True
    if item.repeats or item.type == "multi-choice":
        entry["repeats"] = True
    if item.is_computed or item.read_only:
        entry["readOnly"] = True
    if item.max_length is not None and item.type in ("string", "text", "open-choice"):
        entry["maxLength"] = item.max_length
    if item.options:
        entry["answerOption"] = [
            {"valueCoding": option_coding(definition, item, o)} for o in item.options
        ]
    if extensions := _extensions(item):
        entry["extension"] = extensions
    if children:
        entry["item"] = children
    return entry


def questionnaire(definition: FormDefinition) -> dict[str, Any]:
    """The template as a FHIR R4 Questionnaire resource (a plain dict)."""
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "url": definition.url,
        "version": definition.version,
        "name": "".join(part.capitalize() for part in definition.name.replace("-", "_").split("_")),
        "title": definition.title,
        "status": "active",
        "subjectType": ["Patient"],
        "item": [_item(definition, item, "") for item in definition.items],
    }
    if definition.description:
        resource["description"] = definition.description
    if definition.codes:
        resource["code"] = [dict(c) for c in definition.codes]
    return resource
