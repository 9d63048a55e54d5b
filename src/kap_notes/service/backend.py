"""What forms and views talk to: the same operations, in-process or through the kernel agent.

``Backend(LocalTransport(session))`` runs operations in this process (tests, scripts);
``Backend(AgentTransport())`` sends them to the Jupyter server that holds the unlocked keys, so a
kernel never holds a key and locking takes effect everywhere at once.

Signing, co-signing, returning and adding an addendum need the passphrase again (ssh-askpass
shape): a backend never carries it. Through the agent, the server parks the operation until the
user confirms it in JupyterLab's own dialog; in-process, the transport's ``askpass`` asks for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from kap_notes.errors import NotConfirmed as NotConfirmed  # noqa: PLC0414 - re-exported
from kap_notes.service import operations
from kap_notes.vault.session import Session

#: Given what is being confirmed (see :func:`~kap_notes.service.operations.describe`), the
#: passphrase, or None when the user cancels.
Askpass = Callable[[dict[str, Any]], "str | None"]


class Transport(Protocol):
    """Carries one operation to wherever the unlocked session lives."""

    def __call__(self, op: str, kwargs: dict[str, Any]) -> Any: ...


class LocalTransport:
    """Runs operations against a session in this process."""

    def __init__(self, session: Session, askpass: Askpass | None = None) -> None:
        self.session = session
        self.askpass = askpass

    def __call__(self, op: str, kwargs: dict[str, Any]) -> Any:
        if op == "status":
            locked = self.session.locked
            return {"unlocked": not locked, "user": None if locked else self.session.user_row.name}
        if op in operations.CONFIRMED and "passphrase" not in kwargs:
            if self.askpass is None:
                raise NotConfirmed("this needs your passphrase and nothing can ask for it here")
            passphrase = self.askpass(operations.describe(self.session, op, kwargs))
            if passphrase is None:
                raise NotConfirmed("cancelled: nothing was signed")
            kwargs = {**kwargs, "passphrase": passphrase}
        return operations.run(self.session, op, kwargs)


class Backend:
    """Typed calls over a :class:`Transport`."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def call(self, op: str, **kwargs: Any) -> Any:
        """Run operation ``op`` (see :data:`~kap_notes.service.operations.OPERATIONS`)."""
        return self.transport(op, kwargs)

    def status(self) -> dict[str, Any]:
        return dict(self.call("status"))

    def locked(self) -> bool:
        return not self.status().get("unlocked", False)

    def whoami(self) -> dict[str, str]:
        return dict(self.call("whoami"))

    def list_patients(self) -> list[dict[str, Any]]:
        return list(self.call("list_patients"))

    def add_patient(self, data: dict[str, Any]) -> str:
        return str(self.call("add_patient", data=data)["patient_id"])

    def list_notes(self, patient_id: str, include_process: bool = False) -> list[dict[str, Any]]:
        return list(self.call("list_notes", patient_id=patient_id, include_process=include_process))

    def get_note(self, note_id: str) -> dict[str, Any]:
        return dict(self.call("get_note", note_id=note_id))

    def form_context(
        self, patient_id: str, form: str, answers: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return dict(self.call("form_context", patient_id=patient_id, form=form, answers=answers))

    def save_draft(
        self,
        patient_id: str,
        form: str,
        answers: dict[str, Any],
        *,
        note_id: str | None = None,
        version: int | None = None,
        expected_author: str | None = None,
        autosave: bool = False,
    ) -> dict[str, Any]:
        """Save as the unlocked user; with ``expected_author`` (a user id) nothing is saved
        unless that user is the one unlocked. ``autosave`` (the form's timer): kept in the
        draft's sealed autosave buffer, no new version, until :meth:`close_draft`."""
        extra = {"autosave": True} if autosave else {}
        return dict(
            self.call(
                "save_draft", patient_id=patient_id, form=form, answers=answers,
                note_id=note_id, version=version, expected_author=expected_author, **extra,
            )
        )  # fmt: skip

    def close_draft(self, note_id: str) -> dict[str, Any]:
        """The form closes: its autosaves become the draft's next audited version."""
        return dict(self.call("close_draft", note_id=note_id))

    def discard_draft(
        self, note_id: str, version: int, expected_author: str | None = None
    ) -> dict[str, Any]:
        """Discard the author's own draft (audited); signed notes are never discarded."""
        return dict(
            self.call(
                "discard_draft", note_id=note_id, version=version, expected_author=expected_author
            )
        )

    def sign_note(self, note_id: str) -> dict[str, Any]:
        """Sign (the transport obtains the passphrase: JupyterLab's dialog or ``askpass``)."""
        return dict(self.call("sign_note", note_id=note_id))

    def add_addendum(self, note_id: str, text: str) -> dict[str, Any]:
        return dict(self.call("add_addendum", note_id=note_id, text=text))

    def review_queue(self) -> list[dict[str, Any]]:
        return list(self.call("review_queue"))

    def cosign(self, note_id: str, attestation: str | None = None) -> dict[str, Any]:
        return dict(self.call("cosign", note_id=note_id, attestation=attestation))

    def compile_patient(self, patient_id: str) -> dict[str, Any]:
        return dict(self.call("compile_patient", patient_id=patient_id))

    def return_note(self, note_id: str, comment: str) -> dict[str, Any]:
        return dict(self.call("return_note", note_id=note_id, comment=comment))
