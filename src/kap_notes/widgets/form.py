"""FormView: a whole note form (any template) with live computed values, flags and messages."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets

from kap_notes.forms import (
    ClinicSettings,
    Flag,
    FormDefinition,
    ValidationIssue,
    ValidationResult,
    apply_preset,
    compute,
    enabled_keys,
    flags,
    prune_disabled,
    validate,
)
from kap_notes.model.times import clinic_time_zone
from kap_notes.records.assess import session_date
from kap_notes.widgets.choices import NoteChoiceField, default_choice
from kap_notes.widgets.controller import FormController, SaveOutcome
from kap_notes.widgets.identity import identity_html
from kap_notes.widgets.lifecycle import Autosave, LifecycleBar, now_text
from kap_notes.widgets.pickers import Clock, clinic_clock, default_now
from kap_notes.widgets.prefill import REMS_GROUP, Prefill
from kap_notes.widgets.sections import Key, RowsWidget, Section
from kap_notes.widgets.style import heading_html, help_html, message_list

LIVE_KINDS = frozenset({"type", "range", "choice", "pattern", "length", "rule", "shape"})
"""Issue kinds shown while typing; "required"/"signing" appear after a Sign attempt."""
SESSION_TIME_ITEMS = ("session_datetime", "session_date")
"""Items a new note fills with "now" (rounded to 5 minutes) or today; editable."""
#: Context keys the service adds for the form itself (not for expressions).
PATIENT_KEY, CHOICES_KEY = "patient", "note_choices"


class FormView:
    """Render `definition` as ipywidgets; `.value` is the ``{linkId: answer}`` dict.

    `context` carries values from outside the note (patient weight, linked dosing date), and from
    the service's ``form_context``: ``patient`` (the identity shown read-only above the form) and
    ``note_choices`` (context key → notes an item may be chosen from, e.g. the signed dosing
    notes an integration links to). `settings` holds the clinic's alert thresholds and time zone,
    `controller` persists drafts, signatures and addenda. A new note (no `answers`) starts with
    the session time set to now, rounded to 5 minutes.
    """

    def __init__(
        self,
        definition: FormDefinition,
        answers: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        settings: ClinicSettings | None = None,
        controller: FormController | None = None,
        *,
        autosave_seconds: float | None = 60,
        clock: Clock | None = None,
    ) -> None:
        self.definition = definition
        self.context = dict(context or {})
        patient = self.context.pop(PATIENT_KEY, None)
        choices = self.context.pop(CHOICES_KEY, None) or {}
        self.settings = settings or ClinicSettings()
        self.clock = clock or clinic_clock(clinic_time_zone(self.settings))
        self.prefill = Prefill(definition)
        self.controller = controller
        # Button clicks may be handled on a kernel subshell thread (ipykernel 7 with
        # jupyterlab_widgets) while the autosave timer runs on the main thread: one action at a
        # time, or a tick and a Sign both create the note (a stray duplicate draft).
        self._busy = threading.RLock()
        self.dirty = False
        self.locked = False
        self.show_all_issues = False
        self.result = ValidationResult()
        self.computed: dict[str, Any] = {}
        self.flags: list[Flag] = []
        self._quiet = True
        self.body = Section(
            definition,
            definition.items,
            self._changed,
            self._fill_preset,
            clock=self.clock,
            choices=choices,
        )
        self.flags_box = widgets.HTML()
        self.summary = widgets.HTML()
        title = widgets.HTML(heading_html(f"{definition.title} (v{definition.version})", 3))
        self.identity = widgets.HTML(identity_html(patient))
        parts: list[Any] = [title, self.identity] if patient else [title]
        if definition.note_class == "process":
            parts.append(widgets.HTML(help_html("Process note: kept out of supervisor views")))
        parts += [self.flags_box, *self.body.boxes, self.summary]
        self.lifecycle: LifecycleBar | None = None
        if controller is not None:
            discard = self.discard if hasattr(controller, "discard") else None
            self.lifecycle = LifecycleBar(
                controller, self.save_draft, self.sign, self.add_addendum, discard
            )
            parts.append(self.lifecycle.container)
        self.widget = widgets.VBox(parts, _dom_classes=("kap-widgets",))
        self._prefill(answers)
        self._quiet = False
        self.refresh()
        self._set_locked(bool(controller is not None and controller.locked()))
        self.autosave = Autosave(autosave_seconds, self.autosave_tick)

    # -- value -------------------------------------------------------------------------------
    @property
    def value(self) -> dict[str, Any]:
        """Answers as typed: numbers kept exactly, unanswered items omitted, unknown keys kept."""
        return self.body.get()

    @value.setter
    def value(self, answers: Mapping[str, Any]) -> None:
        self._quiet = True
        try:
            self.body.set(answers)
        finally:
            self._quiet = False
        self.refresh()

    def _prefill(self, answers: Mapping[str, Any] | None) -> None:
        values = dict(answers or {})
        choosers = self._choosers()
        for item, row_group in self.definition.walk():
            if row_group is not None:
                continue
            key = item.initial_from_context
            unset = item.link_id not in values and item.link_id not in choosers
            if key and unset and key in self.context:
                values[item.link_id] = self.context[key]
            if answers is None and item.link_id in SESSION_TIME_ITEMS:
                values.setdefault(item.link_id, default_now(item, self.clock))
        self.body.set(values)
        self._auto_links = {link for link in choosers if link not in values}
        for link in self._auto_links:
            choosers[link].by_hand = False
        self._choose_defaults()
        self._sync_choice_context()

    def _choosers(self) -> dict[str, NoteChoiceField]:
        return {k: w for k, w in self.body.widgets.items() if isinstance(w, NoteChoiceField)}

    def _choose_defaults(self) -> None:
        """Linked notes not chosen by hand: the latest on or before this note's date."""
        day = session_date(self.value)
        for link, chooser in self._choosers().items():
            if link in self._auto_links and not chooser.by_hand:
                chooser.pick(default_choice(list(chooser.choices.values()), day))

    def _sync_choice_context(self) -> None:
        """The chosen notes' context values (e.g. the dosing date for days since dosing)."""
        for chooser in self._choosers().values():
            for entry in chooser.choices.values():
                for key in entry.get("context", {}):
                    self.context.pop(key, None)
            chosen = chooser.chosen()
            if chosen is not None:
                self.context.update(chosen.get("context", {}))

    def _prefill_from_note(self) -> None:
        """Fill the REMS form from the vitals rows, dose and discharge (empty fields only)."""
        answers = self.value
        enabled = enabled_keys(self.definition, answers, self.context)
        if self.locked or (None, None, REMS_GROUP) not in enabled:
            return
        proposals = self.prefill.proposals(answers, self.context)
        if not proposals:
            return
        self._quiet = True
        try:  # the REMS fields may not be built yet: read and write through the section
            self.prefill.apply(proposals, self.body.read, self.body.write)
        finally:
            self._quiet = False

    # -- live refresh ------------------------------------------------------------------------
    def _changed(self) -> None:
        if self._quiet:
            return
        self.dirty = True
        self._quiet = True
        try:
            self._choose_defaults()
        finally:
            self._quiet = False
        self._sync_choice_context()
        self._prefill_from_note()
        self.refresh()

    def refresh(self) -> ValidationResult:
        """Recompute enableWhen, computed values, flags and inline messages from the widgets."""
        answers = self.value
        self.result = validate(self.definition, answers, self.context)
        self.computed = compute(self.definition, answers, self.context)
        self.flags = flags(self.definition, answers, self.context, self.settings)
        enabled = enabled_keys(self.definition, answers, self.context)
        shown = [i for i in self.result.issues if self.show_all_issues or i.kind in LIVE_KINDS]
        self.body.apply(enabled, _by_key(shown), self.computed)
        self.flags_box.value = message_list([f.message for f in self.flags], "warning")
        errors = [i for i in shown if i.severity == "error"]
        self.summary.value = (
            message_list([f"{len(errors)} problem(s) to fix before signing"], "error")
            if self.show_all_issues and errors
            else ""
        )
        return self.result

    def _fill_preset(self, rows: RowsWidget) -> None:
        merged = apply_preset(self.definition, rows.item.link_id, self.value)
        self._quiet = True
        try:
            rows.set(merged)
        finally:
            self._quiet = False
        self._changed()

    # -- lifecycle ---------------------------------------------------------------------------
    def save_draft(self, *, autosave: bool = False) -> SaveOutcome | None:
        """Save whatever was typed; failures are shown and the input stays in the form."""
        with self._busy:
            outcome = self._call(
                lambda c: c.save_draft(self.value, autosave=autosave), "Draft saved"
            )
            if outcome is not None and outcome.ok:
                self.dirty = False
        return outcome

    def autosave_tick(self) -> SaveOutcome | None:
        """Save a draft if something changed since the last save (the autosave timer's job)."""
        if not self.dirty or self.locked or self.controller is None:
            return None
        if not self._busy.acquire(blocking=False):
            return None  # a save, signature or addendum is under way: the next tick saves
        try:
            return None if self.locked else self.save_draft(autosave=True)
        finally:
            self._busy.release()

    def sign(self) -> SaveOutcome | None:
        """Sign if nothing blocks it; otherwise show every problem inline (the draft is kept).

        The passphrase is asked for outside the kernel (JupyterLab's dialog)."""
        self.show_all_issues = True
        result = self.refresh()
        if not result.ok:
            self._status(f"Cannot sign yet: {len(result.errors)} problem(s) to fix", "error")
            return None
        answers = prune_disabled(self.definition, self.value, self.context)
        with self._busy:  # no autosave between the signature and the form turning read-only
            outcome = self._call(lambda c: c.sign(answers), "Signed")
            if outcome is not None and outcome.ok:
                self.dirty = False
                self._set_locked(True)
        return outcome

    def discard(self) -> SaveOutcome | None:
        """Discard the draft (after the confirm step); the form is cleared for a new note.

        Needs a controller with ``discard()`` (the service's does)."""
        outcome = self._call(lambda c: c.discard(), "Draft discarded")
        if outcome is not None and outcome.ok:
            self.show_all_issues = False
            self._quiet = True
            try:
                self._prefill(None)
            finally:
                self._quiet = False
            self.refresh()
            self.dirty = False
        return outcome

    def add_addendum(self, text: str) -> SaveOutcome | None:
        if not text.strip():
            self._status("Write the addendum first", "error")
            return None
        outcome = self._call(lambda c: c.addend(text), "Addendum added")
        if outcome is not None and outcome.ok and self.lifecycle is not None:
            self.lifecycle.addendum.value = ""
        return outcome

    def _call(self, action: Any, done: str) -> SaveOutcome | None:
        if self.controller is None:
            return None
        try:
            with self._busy:
                outcome: SaveOutcome = action(self.controller)
        except Exception as error:  # the typed input must survive any failure
            self._status(f"Not saved: {error}", "error")
            return SaveOutcome(ok=False, message=str(error))
        message = outcome.message or done
        if outcome.ok:
            self._status(f"{message} at {now_text()}", "success")
        else:
            self._status(message, "error")
            if outcome.issues:
                self.body.apply(
                    enabled_keys(self.definition, self.value, self.context),
                    _by_key(list(outcome.issues)),
                    self.computed,
                )
        return outcome

    def _status(self, text: str, kind: str) -> None:
        if self.lifecycle is not None:
            self.lifecycle.show(text, kind)

    @property
    def status_text(self) -> str:
        return self.lifecycle.status_text if self.lifecycle is not None else ""

    def mark_signed(self) -> None:
        """Show a note that is already signed: read-only, addendum only."""
        self._set_locked(True)

    def _set_locked(self, locked: bool) -> None:
        self.locked = locked
        self.body.set_disabled(locked)
        if self.lifecycle is not None:
            self.lifecycle.set_locked(locked)
            if locked:
                self.lifecycle.show("Signed: read-only; add an addendum for any change", "info")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def _by_key(issues: list[ValidationIssue]) -> dict[Key, list[str]]:
    grouped: dict[Key, list[str]] = {}
    for issue in issues:
        key: Key = (issue.group, issue.row, issue.link_id)
        if issue.group is None and issue.row is not None:
            key = (None, None, issue.link_id)  # a malformed row of a repeating group
        grouped.setdefault(key, []).append(issue.message)
    return grouped
