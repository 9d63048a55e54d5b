"""Route presets: the rows a repeating group (e.g. vitals) is pre-filled with for each route."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from kap_notes.forms.definition import FormDefinition
from kap_notes.forms.values import is_answered, parse_datetime


def preset_rows(
    definition: FormDefinition, group_link_id: str, answers: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The preset rows for the current answer of the preset's `by` item (e.g. the route).

    When the start time is known, each row's time field is start + offset (``YYYY-MM-DD HH:MM``).
    """
    group = definition.find(group_link_id)
    if group is None or group.presets is None:
        return []
    preset = group.presets
    choice = answers.get(preset.by)
    rows = preset.rows.get(str(choice), ()) if choice is not None else ()
    start = parse_datetime(answers.get(preset.start)) if preset.start else None
    filled: list[dict[str, Any]] = []
    for row in rows:
        values = dict(row.values)
        if start is not None and preset.time_field and row.offset_min is not None:
            moment = start + timedelta(minutes=row.offset_min)
            values[preset.time_field] = moment.isoformat(sep=" ", timespec="minutes")
        filled.append(values)
    return filled


def apply_preset(
    definition: FormDefinition, group_link_id: str, answers: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Existing rows with data kept, then every preset row not already present (by its values)."""
    existing = answers.get(group_link_id)
    rows = (
        [dict(r) for r in existing if isinstance(r, Mapping)] if isinstance(existing, list) else []
    )
    kept = [r for r in rows if any(is_answered(v) for v in r.values())]
    for preset in preset_rows(definition, group_link_id, answers):
        labels = {k: v for k, v in preset.items() if k != _time_field(definition, group_link_id)}
        if not any(all(r.get(k) == v for k, v in labels.items()) for r in kept):
            kept.append(preset)
    return kept


def _time_field(definition: FormDefinition, group_link_id: str) -> str | None:
    group = definition.find(group_link_id)
    return group.presets.time_field if group and group.presets else None
