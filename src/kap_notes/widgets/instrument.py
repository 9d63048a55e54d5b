"""An embedded instrument (PHQ-9, MOAA/S, CADSS...): its items and a live score line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from kap_notes.forms import FormDefinition, Item, enabled_keys
from kap_notes.records.display import display_plain
from kap_notes.widgets.base import ChangeCallback, ItemWidget, Key, KeySet, help_widget
from kap_notes.widgets.fields import group_heading
from kap_notes.widgets.shared import shared
from kap_notes.widgets.style import label_html

if TYPE_CHECKING:
    from kap_notes.widgets.sections import Section


class InstrumentWidget(ItemWidget):
    """An embedded instrument: its items and a live total, band and derived values."""

    def __init__(self, item: Item, section: Section) -> None:
        self.instrument = section.definition.instrument_for(item)
        self.section = type(section)(
            self.instrument, self.instrument.items, section._notify, clock=section.clock
        )
        self.score = widgets.HTML(
            score_text(self.instrument, None),
            layout=shared("plain_layout"),
            style=shared("html_style"),
        )
        heading = group_heading(item.text)
        intro = [help_widget(self.instrument.description)] if self.instrument.description else []
        super().__init__(item, [heading, *intro, *self.section.boxes, self.score])

    def observe(self, callback: ChangeCallback) -> None:
        """Children already report changes through the section."""

    def get(self) -> Any:
        return self.section.get() or None

    def set(self, value: Any) -> None:
        self.section.set(value if isinstance(value, Mapping) else {})

    def set_disabled(self, disabled: bool) -> None:
        self.section.set_disabled(disabled)

    def apply(self, messages: Mapping[Key, list[str]], score: Any) -> None:
        answers = self.section.get()
        enabled: KeySet = {
            (self.item.link_id, None, link) for _, _, link in enabled_keys(self.instrument, answers)
        }
        self.section.apply(enabled, messages, {}, self.item.link_id, None)
        self.score.value = score_text(self.instrument, score)


def score_text(instrument: FormDefinition, score: Any) -> str:
    """``Total 12 (0-27), Moderate`` plus derived values, as theme-coloured HTML."""
    spec = instrument.score
    if spec is None or not isinstance(score, Mapping):
        return label_html(f"{instrument.title}: not scored yet")
    parts: list[str] = []
    if spec.total is not None:
        total = score.get("total")
        bounds = (
            f" ({spec.total_min:g}\u2013{spec.total_max:g})" if spec.total_max is not None else ""
        )
        band = f" \u2014 {score['band_label']}" if score.get("band_label") else ""
        parts.append(f"Total {display_plain(total) or '—'}{bounds}{band}")
    for name, label in spec.derived_labels.items():
        parts.append(f"{label}: {display_plain(score.get(name)) or '—'}")
    return label_html(f"{instrument.title} \u2014 " + "; ".join(parts))
