"""Multi-choice as a column of checkboxes; a note chosen from a list that shows dates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets
from traitlets import Bool, List, Unicode, observe

from kap_notes.forms import Item
from kap_notes.widgets.base import FieldWidget
from kap_notes.widgets.shared import shared


class CheckboxGroup(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """One labelled checkbox per option; ``value`` is the list of checked codes (option order).

    ``value`` and ``disabled`` live in the kernel only: the browser sees plain checkboxes, each
    named by its option's text (readable, and clickable by keyboard or mouse).
    """

    value: List[Any] = List()
    disabled = Bool(False)
    description = Unicode("")
    #: Kernel-side only: each checkbox gets it (a synced tooltip breaks the browser's VBoxView,
    #: which then reads a ``description`` a Box does not have: "Could not create a view").
    tooltip = Unicode(None, allow_none=True)

    def __init__(
        self, options: Sequence[tuple[str, Any]], tooltip: str | None = None, **kwargs: Any
    ) -> None:
        self._syncing = False
        self.codes = [code for _, code in options]
        self.boxes = [
            widgets.Checkbox(
                value=False,
                description=text,
                tooltip=f"{tooltip}: {text}" if tooltip else None,
                indent=False,
                layout=shared("auto_layout"),
                style=shared("checkbox_style"),
            )
            for text, _ in options
        ]
        super().__init__(self.boxes, tooltip=tooltip, **kwargs)
        for box in self.boxes:
            box.observe(self._box_changed, names="value")

    def _box_changed(self, _change: Any) -> None:
        if not self._syncing:
            self.value = [c for c, b in zip(self.codes, self.boxes, strict=True) if b.value]

    @observe("value")
    def _value_changed(self, change: Any) -> None:
        chosen = set(change["new"] or [])
        self._syncing = True
        try:
            for code, box in zip(self.codes, self.boxes, strict=True):
                box.value = code in chosen
        finally:
            self._syncing = False

    @observe("disabled")
    def _disabled_changed(self, change: Any) -> None:
        for box in self.boxes:
            box.disabled = change["new"]

    @observe("tooltip")
    def _tooltip_changed(self, change: Any) -> None:
        for box in self.boxes:
            box.tooltip = f"{change['new']}: {box.description}" if change["new"] else None


def checkbox_group(item: Item) -> CheckboxGroup:
    return CheckboxGroup(
        [(o.display, o.code) for o in item.options], item.text, layout=shared("plain_layout")
    )


def note_choice_options(choices: Sequence[Mapping[str, Any]]) -> list[tuple[str, str | None]]:
    """Dropdown options ``(label, note id)`` of the notes a note may link to, newest first."""
    ordered = sorted(choices, key=lambda c: str(c.get("session_date") or ""), reverse=True)
    return [("— choose —", None), *((str(c["label"]), str(c["note_id"])) for c in ordered)]


def default_choice(choices: Sequence[Mapping[str, Any]], day: str | None) -> str | None:
    """The latest note dated on or before ``day`` (YYYY-MM-DD...); any latest if no day."""
    dated = sorted(
        (c for c in choices if c.get("session_date")),
        key=lambda c: (str(c["session_date"]), str(c.get("signed_at") or "")),
    )
    if day:
        dated = [c for c in dated if str(c["session_date"])[:10] <= day[:10]]
    return str(dated[-1]["note_id"]) if dated else None


class MultiChoiceField(FieldWidget):
    """One checkbox per option (value: the checked codes); unknown stored codes are kept."""

    control: CheckboxGroup

    def get(self) -> Any:
        chosen = list(self.control.value) + list(self._unparsed or [])
        return chosen or None

    def set(self, value: Any) -> None:
        values = value if isinstance(value, list) else [] if value is None else [value]
        known = [self.item.option_for(v) for v in values]
        self.control.value = [o.code for o in known if o is not None]
        self._unparsed = [v for v, o in zip(values, known, strict=True) if o is None] or None


class NoteChoiceField(FieldWidget):
    """A note chosen from a dropdown of the patient's notes, labelled with their dates (e.g. an
    integration's linked dosing note). ``by_hand`` turns True once the clinician picks one."""

    def __init__(self, item: Item, choices: Sequence[Mapping[str, Any]]) -> None:
        self.choices = {str(c["note_id"]): c for c in choices}
        control = widgets.Dropdown(
            options=note_choice_options(choices),
            value=None,
            layout=shared("wide_layout"),
            style=shared("description_style"),
        )
        super().__init__(item, control)
        self.by_hand = False
        self._programmatic = False
        control.observe(self._picked, names="value")

    def _picked(self, change: Any) -> None:
        if not self._programmatic:
            self.by_hand = True
            self._unparsed = None

    def pick(self, note_id: str | None) -> None:
        """Select ``note_id`` (a known note or None) without counting as the clinician's pick."""
        self._programmatic = True
        try:
            self.control.value = note_id if note_id in self.choices else None
        finally:
            self._programmatic = False

    def chosen(self) -> Mapping[str, Any] | None:
        """The chosen note's entry (``note_id``, ``session_date``, ``label``, ``context``)."""
        return self.choices.get(str(self.control.value)) if self.control.value else None

    def get(self) -> Any:
        return self.control.value if self._unparsed is None else self._unparsed

    def set(self, value: Any) -> None:
        self.pick(str(value) if value is not None and str(value) in self.choices else None)
        self._unparsed = value if value is not None and str(value) not in self.choices else None

    def set_disabled(self, disabled: bool) -> None:
        self.control.disabled = disabled  # choosing is the point, even of a read-only item
