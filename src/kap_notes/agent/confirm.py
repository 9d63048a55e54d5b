"""Operations parked until the user confirms them in JupyterLab (the ssh-askpass shape).

A kernel asks to sign, co-sign, return or add an addendum without any passphrase. The server
parks the operation here with what the dialog needs (action, chart code, form, session date);
JupyterLab polls for it, asks the user, and sends the passphrase straight to the server, which
re-authenticates and runs the operation. The kernel's call waits on the pending item's future.
"""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from kap_notes.errors import NotConfirmed
from kap_notes.errors import UnknownConfirmation as UnknownConfirmation  # noqa: PLC0414 - re-exported
from kap_notes.vault.audit import utc_now

#: How long a kernel's request waits for the user (then "not confirmed").
CONFIRM_SECONDS = 300.0
#: Wrong passphrases before a confirmation is cancelled.
MAX_ATTEMPTS = 3
#: Pending confirmations per user (a runaway kernel cannot flood the dialog).
MAX_PENDING = 10


@dataclass
class Pending:
    """One parked operation: what it is, for whom, and the future its kernel waits on."""

    confirmation_id: str
    user_id: str
    op: str
    kwargs: dict[str, Any]
    summary: dict[str, Any]
    created_at: str = field(default_factory=utc_now)
    future: Future[Any] = field(default_factory=Future)
    attempts: int = 0
    running: bool = False

    def public(self) -> dict[str, Any]:
        """What the browser sees: the dialog's facts, never the operation's arguments."""
        return {"id": self.confirmation_id, **self.summary, "created_at": self.created_at}


class Confirmations:
    """The parked operations of one server (thread-safe)."""

    def __init__(self) -> None:
        self._items: dict[str, Pending] = {}
        self._lock = threading.Lock()

    def park(
        self, user_id: str, op: str, kwargs: dict[str, Any], summary: dict[str, Any]
    ) -> Pending:
        with self._lock:
            if sum(p.user_id == user_id for p in self._items.values()) >= MAX_PENDING:
                raise NotConfirmed(
                    f"{MAX_PENDING} actions are already waiting for your confirmation in "
                    "JupyterLab: answer or cancel them first"
                )
            pending = Pending(secrets.token_urlsafe(16), user_id, op, dict(kwargs), summary)
            self._items[pending.confirmation_id] = pending
            return pending

    def listing(self, user_id: str | None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                p.public() for p in self._items.values() if p.user_id == user_id and not p.running
            ]

    def start(self, confirmation_id: str, user_id: str) -> Pending:
        """Claim a pending item to run it (one confirmer at a time)."""
        with self._lock:
            pending = self._items.get(confirmation_id)
            if pending is None or pending.user_id != user_id or pending.running:
                raise UnknownConfirmation(
                    "this confirmation is no longer waiting (answered, cancelled or expired)"
                )
            pending.running = True
            return pending

    def retry(self, pending: Pending) -> bool:
        """After a wrong passphrase: keep waiting (True) or cancel after too many attempts."""
        with self._lock:
            pending.running = False
            pending.attempts += 1
            if pending.attempts < MAX_ATTEMPTS:
                return True
        self.finish(
            pending,
            error=NotConfirmed(f"{MAX_ATTEMPTS} wrong passphrases: cancelled, nothing was signed"),
        )
        return False

    def finish(
        self, pending: Pending, result: Any = None, error: BaseException | None = None
    ) -> None:
        """Answer the waiting kernel and forget the item."""
        with self._lock:
            self._items.pop(pending.confirmation_id, None)
        if pending.future.done():
            return
        if error is not None:
            pending.future.set_exception(error)
        else:
            pending.future.set_result(result)

    def cancel(self, confirmation_id: str, user_id: str | None, reason: str) -> None:
        with self._lock:
            pending = self._items.get(confirmation_id)
            if pending is None or pending.user_id != user_id or pending.running:
                raise UnknownConfirmation("this confirmation is no longer waiting")
        self.finish(pending, error=NotConfirmed(reason))

    def expire(self, pending: Pending, reason: str) -> bool:
        """Give up on an item nobody is confirming; False if a confirmation is running."""
        with self._lock:
            if pending.running:
                return False
        self.finish(pending, error=NotConfirmed(reason))
        return True

    def cancel_all(self, reason: str) -> None:
        with self._lock:
            items = [p for p in self._items.values() if not p.running]
        for pending in items:
            self.finish(pending, error=NotConfirmed(reason))
