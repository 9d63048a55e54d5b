"""Turn a schema-valid template mapping into a FormDefinition."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kap_notes.forms.codelists import code_list_options
from kap_notes.forms.definition import (
    Band,
    ContextField,
    EnableWhen,
    FlagRule,
    FormDefinition,
    Item,
    Migration,
    Option,
    OutcomeRule,
    Preset,
    PresetRow,
    Rule,
    ScoreSpec,
    SigningRequirement,
)


def build_definition(doc: Mapping[str, Any], source: str) -> FormDefinition:
    """A FormDefinition from a template mapping that already passed the JSON Schema."""
    return FormDefinition(
        url=doc["url"],
        version=doc["version"],
        name=doc["name"],
        title=doc["title"],
        kind=doc["kind"],
        items=tuple(build_item(raw) for raw in doc["items"]),
        note_class=doc.get("note_class", "clinical"),
        description=doc.get("description", ""),
        codes=tuple(doc.get("code", ())),
        item_text=doc.get("item_text", "full"),
        context=tuple(
            ContextField(c["key"], c["text"], c["type"], c.get("unit"))
            for c in doc.get("context", ())
        ),
        rules=tuple(
            Rule(r["id"], r["check"], r["message"], r["linkId"], r.get("scope"))
            for r in doc.get("rules", ())
        ),
        flag_rules=tuple(
            FlagRule(f["id"], f["when"], f["message"], f["linkId"], f.get("scope"))
            for f in doc.get("flags", ())
        ),
        signing_requires=tuple(
            SigningRequirement(s["group"], s["message"]) for s in doc.get("signing_requires", ())
        ),
        score=_score(doc["score"]) if "score" in doc else None,
        outcome=_outcome(doc["outcome"], doc["title"]) if "outcome" in doc else None,
        migrations=tuple(
            Migration(
                from_version=m["from_version"],
                to_version=doc["version"],
                rename=dict(m.get("rename", {})),
                recode={k: dict(v) for k, v in m.get("recode", {}).items()},
                drop=tuple(m.get("drop", ())),
            )
            for m in doc.get("migrations", ())
        ),
        source=source,
    )


def build_item(raw: Mapping[str, Any]) -> Item:
    bounds = raw.get("range", {})
    return Item(
        link_id=raw["linkId"],
        text=raw["text"],
        type=raw["type"],
        short=raw.get("short"),
        help=raw.get("help"),
        required=raw.get("required", False),
        repeats=raw.get("repeats", False),
        read_only=raw.get("readOnly", False) or "compute" in raw,
        hidden=raw.get("hidden", False),
        unit=raw.get("unit"),
        range_min=bounds.get("min"),
        range_max=bounds.get("max"),
        max_length=raw.get("maxLength"),
        pattern=raw.get("pattern"),
        pattern_hint=raw.get("pattern_hint"),
        options=tuple(
            Option(o["code"], o["display"], o.get("value", _numeric_code(o["code"])))
            for o in _options(raw)
        ),
        enable_when=tuple(
            EnableWhen(e["question"], e["operator"], e.get("answer"))
            for e in raw.get("enableWhen", ())
        ),
        enable_behavior=raw.get("enableBehavior", "all"),
        compute=raw.get("compute"),
        initial_from_context=raw.get("initial_from_context"),
        instrument_url=raw.get("instrument"),
        presets=_presets(raw["presets"]) if "presets" in raw else None,
        codes=tuple(raw.get("code", ())),
        items=tuple(build_item(child) for child in raw.get("item", ())),
    )


def _options(raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if "codeList" in raw:
        return list(code_list_options(raw["codeList"]))
    return list(raw.get("options", ()))


def _numeric_code(code: str | int) -> int | None:
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def _presets(raw: Mapping[str, Any]) -> Preset:
    return Preset(
        by=raw["by"],
        start=raw.get("start"),
        time_field=raw.get("time_field"),
        rows={
            choice: tuple(PresetRow(dict(r["values"]), r.get("offset_min")) for r in rows)
            for choice, rows in raw["rows"].items()
        },
    )


def _score(raw: Mapping[str, Any]) -> ScoreSpec:
    total = raw.get("total", {})
    derived = raw.get("derived", {})
    return ScoreSpec(
        total=total.get("expr"),
        total_min=total.get("min"),
        total_max=total.get("max"),
        total_loinc=total.get("loinc"),
        bands=tuple(Band(b["code"], b["label"], b["min"], b["max"]) for b in raw.get("bands", ())),
        derived={name: d["expr"] for name, d in derived.items()},
        derived_labels={name: d["label"] for name, d in derived.items()},
    )


def _outcome(raw: Mapping[str, Any], title: str) -> OutcomeRule:
    return OutcomeRule(
        label=raw.get("label", title),
        response_drop_percent=raw.get("response_drop_percent"),
        remission_below=raw.get("remission_below"),
        reliable_change_points=raw.get("reliable_change_points"),
        meaningful_change_points=raw.get("meaningful_change_points"),
        source=raw.get("source", ""),
    )
