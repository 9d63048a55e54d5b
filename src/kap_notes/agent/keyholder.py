"""The server's only copy of the unlocked session, with idle auto-lock.

Reads run side by side: an operation in :data:`READ_OPERATIONS` syncs the policy on its own
(briefly exclusive), then decrypts and verifies under a shared lock in one store snapshot,
collecting its audit entries; they are written (exclusive again, one transaction) before its
result is returned — reads that finish together share that transaction (one commit, entries in
the order the reads finished; see :class:`_ReadAudits`). Writes, syncs, audit appends, lock
and unlock are exclusive. A read that turns out to need more (a write, entries written
meanwhile) runs again exclusively.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kap_notes.agent.confirm import CONFIRM_SECONDS, MAX_ATTEMPTS, Confirmations, Pending
from kap_notes.agent.rwlock import ReadWriteLock
from kap_notes.service import operations
from kap_notes.vault.crypto import MINIMUM_KDF, KdfParams
from kap_notes.vault.errors import VaultError, VaultLocked, WrongPassphrase
from kap_notes.vault.session import NeedsExclusive, PendingEntry, Session
from kap_notes.vault.vault import Vault

log = logging.getLogger(__name__)

#: Threads that run operations for the REST API and kernels: enough that a save never queues
#: behind reads before reaching the lock (which lets writes go first).
WORKERS = 24
#: Reads decrypting at once: more only share the interpreter's lock with the event loop.
READERS = 2

#: Operations that only read (and audit their reads): they may run alongside each other.
READ_OPERATIONS = frozenset(
    {
        "whoami",
        "clinic_settings",
        "settings_info",
        "list_patients",
        "list_notes",
        "get_note",
        "form_context",
        "dosing_choices",
        "review_queue",
        "find_patients",
        "patient_notes",
        "my_day",
        "note_preview",
        "patient_frames",
        "render_section",
        "render_overview_section",
    }
)


@dataclass
class _Finished:
    """A read's audit entries waiting to be written (``done`` once they are, or failed)."""

    session: Session
    entries: list[PendingEntry]
    done: bool = False
    error: BaseException | None = None


class _ReadAudits:
    """Group commit for reads' audit entries: whichever waiting read gets the exclusive lock
    first writes the entries of every read of the same session finished by then, in one
    transaction; the others find theirs written and answer at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[_Finished] = []

    def add(self, session: Session, entries: list[PendingEntry]) -> _Finished:
        item = _Finished(session, entries)
        with self._lock:
            self._waiting.append(item)
        return item

    def drop(self, session: Session) -> None:
        """Forget the waiting entries of a session that was locked (its reads answer nothing)."""
        with self._lock:
            self._waiting = [w for w in self._waiting if w.session is not session]

    def write(self, item: _Finished) -> None:
        """*Exclusive* — write ``item``'s entries (and its session's others) unless written."""
        if not item.done:
            with self._lock:
                batch = [w for w in self._waiting if w.session is item.session]
                self._waiting = [w for w in self._waiting if w.session is not item.session]
            try:
                item.session.audit_reads([e for w in batch for e in w.entries])
            except BaseException as exc:
                for w in batch:
                    w.error = exc
                raise
            finally:
                for w in batch:
                    w.done = True
        if item.error is not None:
            raise item.error


class KeyHolder:
    """Holds at most one unlocked :class:`Session`; every use resets the idle timer."""

    def __init__(
        self,
        vault_path: str,
        *,
        auto_lock_minutes: float = 15,
        kdf_floor: KdfParams = MINIMUM_KDF,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.vault_path = vault_path
        self.auto_lock_minutes = auto_lock_minutes
        self.kdf_floor = kdf_floor
        # Clinic settings are not kept here: they are signed facts of the vault (every path
        # reads them there); ``auto_lock_minutes`` is this user's own server setting.
        self._clock = clock
        self._session: Session | None = None
        self._last_used = clock()
        self._mutex = threading.RLock()  # the holder's own state (taken after _rw)
        #: Shared for reads (READ_OPERATIONS), exclusive for every other use of the session.
        self._rw = ReadWriteLock()
        self._readers = threading.BoundedSemaphore(READERS)
        self._read_audits = _ReadAudits()
        #: Where REST handlers and the kernel agent run operations (off the event loop).
        self.executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="kap-notes-op")
        #: Kernel requests to sign, co-sign, return or addend, waiting for JupyterLab's dialog.
        self.confirmations = Confirmations()
        self.confirm_seconds = CONFIRM_SECONDS
        #: Told once after unlock (JupyterLab shows them): wrong passphrases, break-glass use.
        self._notices: list[str] = []
        self._failed_attempts = 0

    # ------------------------------------------------------------------------- state
    def unlock(self, user: str, passphrase: str) -> dict[str, Any]:
        """Unlock as ``user`` (replacing any earlier session).

        Never waits long: the key derivation is gated per process (:mod:`~.vault.kdf_gate`), so
        an unlock that overlaps another raises :class:`~.vault.errors.UnlockBusy` after a few
        seconds, and a user in back-off gets :class:`~.vault.errors.TooManyAttempts` at once.
        A failed attempt closes the vault it opened and leaves any current session as it was.
        """
        vault = Vault.open(self.vault_path, kdf_floor=self.kdf_floor)
        try:
            session = vault.unlock(user, passphrase)
        except BaseException:
            vault.close()
            raise
        notices = _notices_of(session)
        with self._rw.exclusive(), self._mutex:
            if self._session is not None:
                _release(self._session)
            self._session = session
            self._notices = notices
            self._failed_attempts = vault.failed_attempts
            self._last_used = self._clock()
        return self.status()

    def lock(self) -> dict[str, Any]:
        """Drop every key. Kernels see the vault locked on their next request."""
        self.confirmations.cancel_all("the vault was locked before you confirmed: nothing signed")
        with self._rw.exclusive(), self._mutex:  # reads under way finish first
            if self._session is not None:
                _release(self._session)
            self._session = None
            self._notices, self._failed_attempts = [], 0
        return self.status()

    def touch(self) -> dict[str, Any]:
        """Record user activity (resets the auto-lock timer)."""
        with self._mutex:
            if self._session is not None:
                self._last_used = self._clock()
        return self.status()

    def seconds_to_lock(self) -> float | None:
        with self._mutex:
            if self._session is None:
                return None
            idle = self._clock() - self._last_used
            return max(0.0, self.auto_lock_minutes * 60 - idle)

    def check_idle(self) -> bool:
        """Lock if idle too long; returns True if it locked now."""
        remaining = self.seconds_to_lock()
        if remaining is not None and remaining <= 0:
            self.lock()
            return True
        return False

    def status(self) -> dict[str, Any]:
        with self._mutex:
            session = self._session
            remaining = self.seconds_to_lock()
            return {
                "unlocked": session is not None,
                "user": session.user_row.name if session else None,
                "role": session.role.value if session else None,
                "auto_lock_minutes": self.auto_lock_minutes,
                "seconds_to_lock": None if remaining is None else int(remaining),
                "notices": list(self._notices) if session else [],
                "failed_attempts": self._failed_attempts if session else 0,
            }

    def session(self) -> Session:
        """The unlocked session (and a touch), or :class:`VaultLocked`."""
        self.check_idle()
        with self._mutex:
            if self._session is None:
                raise VaultLocked("the vault is locked: unlock it in JupyterLab (nothing was lost)")
            self._last_used = self._clock()
            return self._session

    def waiting(self) -> dict[str, int]:
        """How many access requests and supervisor proposals wait for the unlocked user (counts
        only, nothing decrypted; zero while locked). Polling this is not activity."""
        self.check_idle()
        with self._rw.exclusive():  # lock and unlock change the session only holding this
            session = self._session
            if session is None:
                return {"requests": 0, "proposed_supervisors": 0}
            found = operations.run(session, "access_requests", {"names": False})
        return {k: len(found[k]) for k in ("requests", "proposed_supervisors")}

    # -------------------------------------------------------------------- operations
    def _still(self, session: Session) -> Session:
        """``session`` if it is still the unlocked one (call holding ``_rw``): a lock or
        another unlock between :meth:`session` and taking ``_rw`` closed its store."""
        if self._session is not session:
            raise VaultLocked("the vault was locked: unlock it in JupyterLab (nothing was lost)")
        return session

    def with_session(self, work: Callable[[Session], Any]) -> Any:
        """Run ``work(session)`` as the unlocked user (serialised with every other use)."""
        session = self.session()
        with self._rw.exclusive():
            return work(self._still(session))

    def run(self, op: str, kwargs: dict[str, Any]) -> Any:
        """Run one service operation as the unlocked user: reads alongside other reads,
        anything else on its own."""
        if op == "status":
            return self.status()
        session = self.session()
        if op in READ_OPERATIONS:
            try:
                return self._read(session, op, kwargs)
            except NeedsExclusive:
                pass  # nothing was shown or written: run it on its own
        with self._rw.exclusive():
            return operations.run(self._still(session), op, kwargs)

    def _read(self, session: Session, op: str, kwargs: dict[str, Any]) -> Any:
        """A read alongside others; its audit entries are written before it answers."""
        try:
            with self._readers, self._rw.shared(), self._still(session).shared_read() as entries:
                result = operations.run(session, op, kwargs)
        except NeedsExclusive:  # perhaps only entries others wrote since: sync, then again
            with self._rw.exclusive():
                self._still(session).sync()
            with self._readers, self._rw.shared(), self._still(session).shared_read() as entries:
                result = operations.run(session, op, kwargs)
        if entries:
            finished = self._read_audits.add(session, entries)
            with self._rw.exclusive():
                if not finished.done and self._session is not session:
                    self._read_audits.drop(session)  # locked meanwhile: nothing is shown
                    self._still(session)
                self._read_audits.write(finished)
        return result

    # ----------------------------------------------------------------- confirmations
    def request_confirmation(self, op: str, kwargs: dict[str, Any]) -> Pending:
        """Park ``op`` (no passphrase) until the user confirms it in JupyterLab."""
        if "passphrase" in kwargs:
            raise ValueError("a parked operation never carries a passphrase")
        session = self.session()
        with self._rw.exclusive():
            summary = operations.describe(self._still(session), op, kwargs)
            summary["user"] = session.user_row.name
            return self.confirmations.park(session.user_id, op, kwargs, summary)

    def pending(self) -> dict[str, Any]:
        """The unlocked user's waiting confirmations (polling this is not activity)."""
        with self._mutex:
            user_id = self._session.user_id if self._session is not None else None
        return {"pending": self.confirmations.listing(user_id) if user_id else []}

    def confirm(self, confirmation_id: str, passphrase: str) -> Any:
        """Re-authenticate and run a parked operation; its kernel gets the result.

        A wrong passphrase raises :class:`WrongPassphrase` and the item keeps waiting (cancelled
        after a few attempts); any other error is the operation's answer, to the kernel as well.
        """
        session = self.session()
        pending = self.confirmations.start(confirmation_id, session.user_id)
        kwargs = {**pending.kwargs, "passphrase": passphrase}
        try:
            with self._rw.exclusive():
                result = operations.run(self._still(session), pending.op, kwargs)
        except WrongPassphrase:
            if self.confirmations.retry(pending):
                left = MAX_ATTEMPTS - pending.attempts
                raise WrongPassphrase(
                    f"wrong passphrase: nothing was signed yet; {left} attempt(s) left"
                ) from None
            raise WrongPassphrase("wrong passphrase again: cancelled, nothing was signed") from None
        except Exception as exc:
            self.confirmations.finish(pending, error=exc)
            raise
        self.confirmations.finish(pending, result=result)
        return result

    def cancel(self, confirmation_id: str) -> dict[str, Any]:
        """The user said no: the kernel's call answers "cancelled"."""
        with self._mutex:
            user_id = self._session.user_id if self._session is not None else None
        self.confirmations.cancel(
            confirmation_id, user_id, "cancelled in JupyterLab: nothing was signed"
        )
        return self.pending()


def _release(session: Session) -> None:
    """Drop a session's keys and close its store (every thread's connection). Reads audited
    while the disk was full are written first if there is room again; otherwise the server
    log says how many could not be."""
    waiting = session.deferred_audit
    if waiting:
        try:
            session.flush_audit()
        except Exception as exc:  # locking must always drop the keys
            log.warning("kap-notes: %d read(s) could not be audited: %s", waiting, exc)
    session.lock()
    session.vault.close()


def _notices_of(session: Session) -> list[str]:
    """The unlock notices with patients named by chart code (the raw ones if that fails)."""
    try:
        return operations.unlock_notices(session)
    except VaultError:
        fallback = list(session.notices)
        failed = session.vault.failed_attempts
        if failed:
            fallback.insert(0, f"{failed} wrong passphrase(s) since your last unlock")
        return fallback
