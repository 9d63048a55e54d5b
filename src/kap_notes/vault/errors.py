"""The vault's errors: re-exported from :mod:`kap_notes.errors`, the one exception tree (its
docstring draws it; each class carries its HTTP status and stable code)."""

from __future__ import annotations

from kap_notes.errors import (
    IntegrityError,
    NotAuthorised,
    RecordUnreadable,
    SignedRecordImmutable,
    StaleVersion,
    StorageError,
    StorageFull,
    StorageUnavailable,
    TooManyAttempts,
    UnknownPatient,
    UnknownRecord,
    UnknownUser,
    UnlockBusy,
    UserExists,
    VaultError,
    VaultLocked,
    VaultNotFound,
    WeakKdfParameters,
    WrongPassphrase,
)

__all__ = [
    "IntegrityError",
    "NotAuthorised",
    "RecordUnreadable",
    "SignedRecordImmutable",
    "StaleVersion",
    "StorageError",
    "StorageFull",
    "StorageUnavailable",
    "TooManyAttempts",
    "UnknownPatient",
    "UnknownRecord",
    "UnknownUser",
    "UnlockBusy",
    "UserExists",
    "VaultError",
    "VaultLocked",
    "VaultNotFound",
    "WeakKdfParameters",
    "WrongPassphrase",
]
