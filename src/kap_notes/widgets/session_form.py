"""``open_form("dosing")``: pick or create a patient, then fill, save, sign and add addenda;
``open_note(note_id)``: continue a draft, revise a returned note, add an addendum to a signed one.

The form talks to a :class:`~kap_notes.service.backend.Backend`: in a kernel started by JupyterLab
that is the server's key agent (the kernel never holds a key); in tests and scripts, a session.

A form saves only as its author: it remembers the user it was opened by, checks before every
save, sign, addendum and discard that the same user is still unlocked (another clinician may
have unlocked the same JupyterLab since), and otherwise saves nothing, keeps what was typed and
says so. The service checks it too (``expected_author``), so a race cannot slip through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets

from kap_notes.agent.client import default_backend
from kap_notes.forms import ClinicSettings, ValidationIssue, get_template
from kap_notes.service.backend import Askpass, Backend, NotConfirmed
from kap_notes.service.lifecycle import NotSignable
from kap_notes.vault.errors import WrongPassphrase
from kap_notes.vault.session import Session
from kap_notes.widgets.controller import SaveOutcome
from kap_notes.widgets.form import FormView
from kap_notes.widgets.patient import PatientPicker
from kap_notes.widgets.style import tone

#: Seconds between autosaves of a changed form (only when something changed). A reload or a
#: closed tab loses at most this much typing plus what is still in the focused field (the tab
#: syncs that after a short pause); measured by ui-tests/test_form_widget.py.
AUTOSAVE_SECONDS = 3.0

#: How many returned/superseded links ``open_note`` follows before giving up (a revision of a
#: revision of ...: each step is one return by a supervisor).
MAX_REVISIONS = 20


def _issues(raw: list[dict[str, Any]]) -> tuple[ValidationIssue, ...]:
    return tuple(
        ValidationIssue(
            str(i["linkId"]),
            str(i["message"]),
            severity=i.get("severity", "error"),
            row=i.get("row"),
            group=i.get("group"),
            kind=str(i.get("kind", "invalid")),
        )
        for i in raw
    )


def current_user(backend: Backend) -> dict[str, str] | None:
    """``{"user_id", "name", ...}`` of the unlocked user, or None while locked or unreachable."""
    try:
        return backend.whoami()
    except Exception:  # locked: nobody to save as
        return None


def other_user_message(opened_by: str, now: str) -> str:
    """What the form says when someone else is unlocked now."""
    return (
        f"This form was opened by {opened_by}; {now} is now unlocked. Nothing was saved; what "
        f"you typed is still in the form. Unlock as {opened_by} to save it."
    )


class BackendController:
    """Persists one note through a backend; ``locked()`` means the note is signed (read-only).

    ``opened_by`` is the user the form was opened by (learned at the first action when the vault
    was locked at opening): every action first checks that user is still the one unlocked.
    """

    def __init__(
        self,
        backend: Backend,
        patient_id: str,
        form: str,
        *,
        note_id: str | None = None,
        version: int | None = None,
        signed: bool = False,
        opened_by: dict[str, str] | None = None,
        on_note: Callable[[str | None], None] | None = None,
    ) -> None:
        self.backend = backend
        self.patient_id = patient_id
        self.form = form
        self._note_id = note_id
        self.version = version
        self.signed = signed
        self.opened_by = opened_by
        #: Told the note id whenever it changes (first save, discard): JupyterLab's form tab
        #: records it so a reload reopens this draft.
        self.on_note = on_note

    @property
    def note_id(self) -> str | None:
        return self._note_id

    @note_id.setter
    def note_id(self, value: str | None) -> None:
        changed = value != self._note_id
        self._note_id = value
        if changed and self.on_note is not None:
            self.on_note(value)

    def other_user(self) -> SaveOutcome | None:
        """A refusal if the unlocked user is not the one this form was opened by, else None."""
        now = self.backend.whoami()  # raises while locked: shown as "Not saved: ..."
        if self.opened_by is None:
            self.opened_by = now
            return None
        if now.get("user_id") != self.opened_by.get("user_id"):
            return SaveOutcome(False, other_user_message(self.opened_by["name"], now["name"]))
        return None

    @property
    def author_id(self) -> str | None:
        return self.opened_by.get("user_id") if self.opened_by else None

    def save_draft(self, answers: dict[str, Any], *, autosave: bool = False) -> SaveOutcome:
        """Save as the form's author. An autosave of a draft already saved goes to its sealed
        autosave buffer (no new version, no audit entry); :meth:`close_draft` ends that."""
        refused = self.other_user()
        if refused is not None:
            return refused
        saved = self.backend.save_draft(
            self.patient_id,
            self.form,
            answers,
            note_id=self.note_id,
            version=self.version,
            expected_author=self.author_id,
            autosave=autosave and self.note_id is not None,
        )
        self.note_id, self.version = str(saved["note_id"]), int(saved["version"])
        issues = _issues(saved.get("issues", []))
        todo = sum(1 for i in issues if i.severity == "error")
        message = "Draft saved" + (f" ({todo} thing(s) to finish before signing)" if todo else "")
        return SaveOutcome(ok=True, message=message, issues=())

    def close_draft(self) -> bool:
        """The form closes: what its autosaves kept becomes the draft's next audited version.
        False when that could not be written (the buffer keeps it; the tab asks)."""
        if self.note_id is None or self.signed:
            return True
        try:
            closed = self.backend.close_draft(self.note_id)
        except Exception:  # locked, refused, gone: the caller keeps the tab open
            return False
        self.version = int(closed["version"])
        return True

    def sign(self, answers: dict[str, Any]) -> SaveOutcome:
        saved = self.save_draft(answers)
        if not saved.ok:
            return saved
        try:
            signed = self.backend.sign_note(str(self.note_id))
        except WrongPassphrase:
            return SaveOutcome(False, "Wrong passphrase: nothing was signed; your input is kept")
        except NotConfirmed as exc:
            return SaveOutcome(False, f"Not signed ({exc}); your input is kept")
        except NotSignable as exc:
            return SaveOutcome(False, str(exc), tuple(exc.issues))
        self.version = int(signed["version"])
        self.signed = True
        return SaveOutcome(True, "Signed")

    def addend(self, text: str) -> SaveOutcome:
        if self.note_id is None or not self.signed:
            return SaveOutcome(False, "Sign the note before adding an addendum")
        refused = self.other_user()
        if refused is not None:
            return refused
        try:
            self.backend.add_addendum(self.note_id, text)
        except (WrongPassphrase, NotConfirmed) as exc:
            return SaveOutcome(False, f"Addendum not added ({exc}); your text is kept")
        return SaveOutcome(True, "Addendum added")

    def discard(self) -> SaveOutcome:
        """Discard this draft (its author only, audited); a signed note never."""
        if self.signed:
            return SaveOutcome(False, "A signed note is never discarded; add an addendum instead")
        refused = self.other_user()
        if refused is not None:
            return refused
        if self.note_id is None or self.version is None:
            return SaveOutcome(True, "Nothing was saved yet: the form is cleared")
        self.backend.discard_draft(self.note_id, self.version, expected_author=self.author_id)
        self.note_id, self.version = None, None  # typing again starts a new draft
        return SaveOutcome(True, "Draft discarded: it no longer appears in any list or notebook")

    def locked(self) -> bool:
        return self.signed


def _clinic_settings(backend: Backend) -> ClinicSettings | None:
    """The clinic's flag thresholds in force where the backend runs (defaults if unreachable)."""
    try:
        return ClinicSettings(**backend.call("clinic_settings"))
    except Exception:  # a locked vault: the defaults show until the next form
        return None


class SessionForm:
    """A patient picker above the form of the chosen patient (or one existing note)."""

    def __init__(
        self,
        form: str,
        backend: Backend,
        *,
        patient: str | None = None,
        note: str | None = None,
        settings: ClinicSettings | None = None,
        autosave_seconds: float | None = AUTOSAVE_SECONDS,
        banner: str | None = None,
    ) -> None:
        self.definition = get_template(form)
        self.backend = backend
        #: Who opened this form: it saves only as them (None while locked: the first action's).
        self.opened_by = current_user(backend)
        self.settings = settings or _clinic_settings(backend)
        self.autosave_seconds = autosave_seconds
        self.view: FormView | None = None
        self.controller: BackendController | None = None
        #: Called with the note id whenever it changes (see :class:`BackendController`).
        self.note_listeners: list[Callable[[str | None], None]] = []
        self.message = widgets.HTML()
        self.form_box = widgets.VBox()
        self.picker: PatientPicker | None = None
        parts: list[Any] = [self.message]
        if note is not None:
            self._open_note(note)
        else:
            self.picker = PatientPicker(self._patients(), self._create, self.choose)
            parts.insert(0, self.picker.widget)
            if patient is not None:
                if patient not in {pid for _, pid in self.picker.dropdown.options}:
                    raise ValueError(f"patient {patient} is not one you can open")
                self.picker.value = patient
        if banner:
            self.message.value = tone(banner, "info")
        self.widget = widgets.VBox([*parts, self.form_box])

    @property
    def note_id(self) -> str | None:
        """The note this form saves to (None until the first save of a new note)."""
        return self.controller.note_id if self.controller is not None else None

    def flush(self) -> bool:
        """Save now if something changed since the last save (the tab does this as it closes);
        True when nothing typed is left unsaved."""
        if self.view is None:
            return True
        outcome = self.view.autosave_tick()
        if outcome is not None and not outcome.ok:
            return False
        return self.controller is None or self.controller.close_draft()

    def close(self) -> None:
        """Stop autosaving (the form's tab is gone)."""
        if self.view is not None:
            self.view.autosave.cancel()

    def _noted(self, note_id: str | None) -> None:
        for listener in list(self.note_listeners):
            listener(note_id)

    def _patients(self) -> list[tuple[str, str]]:
        try:
            rows = self.backend.list_patients()
        except Exception as error:  # a locked vault: say so, offer nothing
            self.message.value = tone(f"{error}", "error")
            return []
        return [(p["patient_id"], f"{p['chart_code']} · {p['name']}") for p in rows]

    def _create(self, details: Mapping[str, str]) -> dict[str, str]:
        """Register a patient (name, date of birth, sex, contact); the answer carries the
        generated chart code to show."""
        return dict(self.backend.call("add_patient", data=dict(details)))

    def choose(self, patient_id: str | None) -> None:
        """Show a new note of this form for ``patient_id``."""
        self.form_box.children = ()
        if patient_id is None:
            return
        try:
            context = self.backend.form_context(patient_id, self.definition.name)
        except Exception as error:
            self.message.value = tone(f"{error}", "error")
            return
        controller = BackendController(
            self.backend,
            patient_id,
            self.definition.name,
            opened_by=self.opened_by,
            on_note=self._noted,
        )
        view = FormView(
            self.definition,
            None,
            context,
            self.settings,
            controller,
            autosave_seconds=self.autosave_seconds,
        )
        self._show(view, controller)

    def _open_note(self, note_id: str) -> None:
        note = self.backend.get_note(note_id)
        self.definition = get_template(note["form"], (note.get("template") or {}).get("version"))
        signed = note.get("signature") is not None
        controller = BackendController(
            self.backend,
            note["patient_id"],
            note["form"],
            note_id=note_id,
            version=int(note["version"]),
            signed=signed,
            opened_by=self.opened_by,
            on_note=self._noted,
        )
        context = self.backend.form_context(note["patient_id"], note["form"], note["answers"])
        view = FormView(
            self.definition,
            note["answers"],
            context,
            self.settings,
            controller,
            autosave_seconds=self.autosave_seconds,
        )
        if signed:
            view.mark_signed()
        self._show(view, controller)

    def _show(self, view: FormView, controller: BackendController) -> None:
        """Show ``view``; the form shown before saves what was typed and stops autosaving."""
        if self.view is not None:
            self.flush()
            self.view.autosave.cancel()
        self.view = view
        self.controller = controller
        self.form_box.children = (view.widget,)
        self._noted(controller.note_id)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def open_form(
    form: str,
    *,
    patient: str | None = None,
    note: str | None = None,
    session: Session | None = None,
    backend: Backend | None = None,
    settings: ClinicSettings | None = None,
    askpass: Askpass | None = None,
) -> SessionForm:
    """The form for a new ``form`` note (choose ``patient``), or an existing ``note``.

    In a kernel, signing is confirmed in JupyterLab's dialog; with an in-process ``session``,
    ``askpass`` supplies the passphrase."""
    return SessionForm(
        form,
        backend or default_backend(session, askpass),
        patient=patient,
        note=note,
        settings=settings,
    )


def open_note(
    note_id: str,
    *,
    session: Session | None = None,
    backend: Backend | None = None,
    settings: ClinicSettings | None = None,
    askpass: Askpass | None = None,
) -> SessionForm:
    """The form of an existing note, ready for what fits it: a draft to continue, a returned
    note revised (its revision started, or the one already started, opened), a signed note
    read-only with its addendum box."""
    backend = backend or default_backend(session, askpass)
    note = backend.get_note(note_id)
    banner = None
    for _ in range(MAX_REVISIONS):
        if note.get("status") not in ("returned", "superseded"):
            break
        comments = [r.get("text") for r in note.get("reviews", []) if r.get("decision") == "return"]
        revision = backend.call("revise_note", note_id=note_id)
        note_id = str(revision["note_id"])
        note = backend.get_note(note_id)
        if comments and comments[-1]:
            banner = f"Revision of a returned note. The supervisor asked: {comments[-1]}"
    else:
        raise ValueError(f"note {note_id} has too many revisions to follow")
    return SessionForm(note["form"], backend, note=note_id, settings=settings, banner=banner)
