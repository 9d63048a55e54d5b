"""Errors the vault raises. Every message is one line a clinic admin can act on.

Exception tree::

    VaultError
    ├── VaultNotFound          no vault at that path
    ├── VaultLocked            an operation needs an unlocked session
    ├── WrongPassphrase        unlock failed (wrong passphrase or recovery code)
    ├── WeakKdfParameters      stored KDF parameters below the allowed minimum (downgrade)
    ├── NotAuthorised          the user may not do this, or has no key for this patient
    ├── StaleVersion           someone else saved this record first
    ├── SignedRecordImmutable  a signed version can never be overwritten
    ├── UnknownUser / UnknownPatient / UnknownRecord
    ├── UserExists
    ├── IntegrityError         a record or the audit chain does not verify
    ├── RecordUnreadable       a record failed to decrypt (opaque on purpose)
    ├── UnlockBusy             another key derivation is running; retry in a few seconds (503)
    └── TooManyAttempts        too many wrong passphrases for a user; back-off (429)
"""

from __future__ import annotations


class VaultError(Exception):
    """Base class of every error kap-notes' vault raises."""


class VaultNotFound(VaultError):
    """No vault exists at the given location."""


class VaultLocked(VaultError):
    """The vault is locked: unlock it first."""


class WrongPassphrase(VaultError):
    """The passphrase (or recovery code) is wrong."""


class WeakKdfParameters(VaultError):
    """Stored key-derivation parameters are weaker than allowed."""


class NotAuthorised(VaultError):
    """The user is not allowed to do this."""


class StaleVersion(VaultError):
    """The record changed since it was read."""


class SignedRecordImmutable(VaultError):
    """The record's current version is signed and can never be overwritten."""


class UnknownUser(VaultError):
    """No such user."""


class UserExists(VaultError):
    """A user with that name already exists."""


class UnknownPatient(VaultError):
    """No such patient."""


class UnknownRecord(VaultError):
    """No such record."""


class IntegrityError(VaultError):
    """Stored data does not verify against the audit chain or its signatures."""


class RecordUnreadable(VaultError):
    """A record could not be decrypted. Deliberately opaque."""

    def __init__(self, record_id: str) -> None:
        super().__init__(f"record {record_id} could not be opened (wrong key, or it was altered)")


class UnlockBusy(VaultError):
    """Another passphrase derivation is running in this process; nothing was tried.

    ``retry_after_seconds`` is a whole number of seconds worth waiting before trying again.
    """

    def __init__(self, message: str = "", *, retry_after_seconds: int = 3) -> None:
        super().__init__(message or "Another unlock is in progress; try again in a few seconds")
        self.retry_after_seconds = retry_after_seconds


class TooManyAttempts(VaultError):
    """Too many consecutive wrong passphrases for one user: refused until the back-off ends."""

    def __init__(self, user: str, retry_after_seconds: int) -> None:
        super().__init__(
            f"Too many wrong passphrases for {user}: try again in {retry_after_seconds} s"
        )
        self.user = user
        self.retry_after_seconds = retry_after_seconds
