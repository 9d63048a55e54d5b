"""A form's actions never run at the same time: JupyterLab may deliver button clicks on a kernel
subshell thread while the autosave timer fires on the main thread. A tick during a signature (or a
save) is skipped — before this, both saved a new note and a stray duplicate draft was left."""

from __future__ import annotations

import threading
from typing import Any

from kap_notes.forms import get_template
from kap_notes.widgets import FormView, SaveOutcome
from tests.forms.helpers import COMPLETE
from tests.widgets.fakes import FakeController
from tests.widgets.test_widgets_form_view import fill


class SlowSign(FakeController):
    """Signing waits (as for JupyterLab's passphrase dialog) until released."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()
        self.release = threading.Event()

    def sign(self, answers: dict[str, Any]) -> SaveOutcome:
        self.save_draft(answers)  # the service saves before it signs
        self.waiting.set()
        assert self.release.wait(10)
        return super().sign(answers)


def test_autosave_tick_during_a_signature_on_another_thread_saves_nothing() -> None:
    controller = SlowSign()
    answers, context = COMPLETE["intention"]
    view = FormView(get_template("intention"), context=context, controller=controller)
    fill(view, answers())
    assert view.dirty
    signing = threading.Thread(target=view.sign)  # the Sign click, on a subshell thread
    signing.start()
    assert controller.waiting.wait(10)

    assert view.autosave_tick() is None  # the timer, on the main thread: skipped
    assert len(controller.drafts) == 1  # only the signature's own save

    controller.release.set()
    signing.join(10)
    assert len(controller.signed) == 1
    assert view.locked
    assert view.autosave_tick() is None  # signed: nothing more to save
    assert len(controller.drafts) == 1
