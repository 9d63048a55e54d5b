"""Save draft, Sign, Discard draft (with a confirm step), Add addendum, status line and autosave.

No passphrase field: signing and addenda are confirmed in JupyterLab's own dialog, so the
passphrase never enters the kernel (in-process, the backend's ``askpass`` supplies it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

import ipywidgets as widgets

from kap_notes.widgets.controller import FormController, SaveOutcome
from kap_notes.widgets.shared import shared
from kap_notes.widgets.style import label_html, tone

#: Shown while a signature waits for the passphrase in JupyterLab's dialog.
CONFIRM_HINT = "Confirm in the JupyterLab dialog… (enter your passphrase there)"
#: The discard confirm step.
DISCARD_QUESTION = (
    "Discard this draft? It leaves every list and notebook (the audit log keeps that you did)."
)


class LifecycleBar:
    """The buttons under a form; the form supplies answers, the controller persists them."""

    def __init__(
        self,
        controller: FormController,
        on_save: Callable[[], SaveOutcome | None],
        on_sign: Callable[[], SaveOutcome | None],
        on_addend: Callable[[str], SaveOutcome | None],
        on_discard: Callable[[], SaveOutcome | None] | None = None,
    ) -> None:
        self.controller = controller
        # a polite live region (labextension/src/a11y.ts): "Draft saved", "Cannot sign yet"
        self.status = widgets.HTML(label_html("Not saved yet"), _dom_classes=("kap-live",))
        self.status_text = "Not saved yet"
        self.save_button = _button("Save draft", "save")
        self.sign_button = _button("Sign", "pencil")
        self.discard_button = widgets.Button(  # its own layout: hidden without a discard
            description="Discard draft",
            icon="trash",
            tooltip="Only a draft's author can",
            style=shared("button_style"),
            layout=widgets.Layout(display=None if on_discard else "none"),
        )
        self.discard_yes = _button("Yes, discard", "trash")
        self.discard_no = _button("Keep it", "undo")
        question = widgets.HTML(
            label_html(DISCARD_QUESTION), layout=shared("plain_layout"), style=shared("html_style")
        )
        self.confirm_row = widgets.HBox(
            [question, self.discard_yes, self.discard_no], layout=widgets.Layout(display="none")
        )
        self.discard_button.on_click(lambda _b: self.ask_discard())
        self.discard_no.on_click(lambda _b: self._hide_confirm("Kept: nothing was discarded"))
        self.discard_yes.on_click(lambda _b: self._discard(on_discard))
        self.addendum = widgets.Textarea(
            description="Addendum",
            placeholder="Addendum to the signed note",
            rows=3,
            style={"description_width": "initial"},
        )
        self.addend_button = _button("Add addendum", "plus")
        self.save_button.on_click(lambda _b: on_save())
        self.sign_button.on_click(lambda _b: self._confirming(on_sign))
        self.addend_button.on_click(
            lambda _b: self._confirming(lambda: on_addend(self.addendum.value))
        )
        self.sign_row = widgets.HBox([self.sign_button], layout=shared("row_layout"))
        locked = controller.locked()  # shown as it will be: no update message at opening
        self.addendum_row = widgets.VBox(
            [self.addendum, self.addend_button],
            layout=widgets.Layout(display=None if locked else "none"),
        )
        self.container = widgets.VBox(
            [
                widgets.HBox([self.save_button, self.discard_button], layout=shared("row_layout")),
                self.confirm_row,
                self.sign_row,
                self.addendum_row,
                self.status,
            ]
        )

    def ask_discard(self) -> None:
        """The confirm step: nothing is discarded until "Yes, discard"."""
        self.confirm_row.layout.display = None

    def _hide_confirm(self, text: str | None = None) -> None:
        self.confirm_row.layout.display = "none"
        if text is not None:
            self.show(text, "info")

    def _discard(self, on_discard: Callable[[], SaveOutcome | None] | None) -> None:
        self._hide_confirm()
        if on_discard is not None:
            on_discard()

    def _confirming(self, action: Callable[[], SaveOutcome | None]) -> None:
        """Say where to confirm, then act (the call waits while JupyterLab asks)."""
        self.show(CONFIRM_HINT, "info")
        if action() is None and self.status_text == CONFIRM_HINT:
            self.show("Nothing was signed", "info")

    def show(self, text: str, kind: str = "info") -> None:
        """Put `text` in the status line (theme colours only)."""
        self.status_text = text
        self.status.value = tone(text, kind)

    def set_locked(self, locked: bool) -> None:
        """Signed: no more saving or signing; addenda only."""
        self.save_button.disabled = locked
        self.sign_button.disabled = locked
        self.discard_button.disabled = locked
        if locked:
            self._hide_confirm()
        self.addendum_row.layout.display = None if locked else "none"


def _button(description: str, icon: str) -> Any:
    """A button with the shared layout and style (two models fewer than its own)."""
    return widgets.Button(
        description=description,
        icon=icon,
        layout=shared("plain_layout"),
        style=shared("button_style"),
    )


class Autosave:
    """Calls `tick` every `seconds` on the kernel's running event loop (no loop: manual ticks)."""

    def __init__(self, seconds: float | None, tick: Callable[[], Any]) -> None:
        self.seconds = seconds
        self._tick = tick
        self._handle: asyncio.TimerHandle | None = None
        self.schedule()

    def schedule(self) -> None:
        if not self.seconds:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not inside a kernel's loop (tests, scripts)
        self._handle = loop.call_later(self.seconds, self._run)

    def _run(self) -> None:
        try:
            self._tick()
        finally:
            self.schedule()

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


def now_text() -> str:
    return datetime.now().strftime("%H:%M:%S")
