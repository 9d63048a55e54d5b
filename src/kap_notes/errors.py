"""Every error kap-notes raises on purpose, in one tree under :class:`KapError`.

Each class carries its HTTP ``status``, a stable ``code`` (what travels over REST and the kernel
agent, and what clients switch on) and the CLI's ``exit_code``. REST handlers, the agent and the
CLI derive their answers from these attributes; nothing else maps errors by hand. Every message
is one line a clinician or clinic admin can act on. This module imports nothing from kap-notes.

Exception tree (status, code)::

    KapError                         500 internal_error
    ├── InvalidInput (ValueError)    422 invalid_input          input to fix (``problems``)
    │   └── UnknownTemplate (KeyError) 422 unknown_template     no form template by that name
    ├── TemplateError (ValueError)   500 template_invalid       a form template file is invalid
    ├── MigrationError (LookupError) 500 migration_missing      no migration between two versions
    ├── ExportError (RuntimeError)   500 export_failed          a report could not be produced
    └── VaultError                   400 vault_error            the vault refused (message says why)
        ├── VaultNotFound            400 vault_not_found        no vault at that path
        ├── VaultLocked              423 vault_locked           unlock first
        ├── WrongPassphrase          403 wrong_passphrase       wrong passphrase or recovery code
        ├── WeakKdfParameters        403 weak_kdf_parameters    stored KDF parameters too weak
        ├── NotAuthorised            403 not_authorised         not allowed, or no key for it
        ├── UnknownUser              403 unknown_user           (403: never confirm who exists)
        ├── UnknownPatient           404 unknown_patient
        ├── UnknownRecord            404 unknown_record
        ├── UnknownConfirmation      404 unknown_confirmation   no such confirmation waiting
        ├── UserExists               409 user_exists
        ├── StaleVersion             409 stale_version          someone else saved first
        ├── SignedRecordImmutable    409 signed_record_immutable
        ├── IntegrityError           409 integrity_error        data does not verify (exit 3)
        ├── RecordUnreadable         409 record_unreadable      could not decrypt (opaque)
        ├── NotConfirmed             409 not_confirmed          the user did not confirm
        ├── NotSignable              422 not_signable           ``issues`` to fix before signing
        ├── TooManyAttempts          429 too_many_attempts      back-off after wrong passphrases
        ├── UnlockBusy               503 unlock_busy            another unlock is running; retry
        └── StorageError             503 storage_error          the vault's storage failed
            ├── StorageFull          507 storage_full           disk full: nothing was saved
            └── StorageUnavailable   503 storage_unavailable    read-only, I/O error, unreachable

Over the wire an error is :meth:`KapError.payload` (``code``, ``type``, ``message`` and the
class's ``fields``); :func:`from_payload` rebuilds the same class from it.
"""

from __future__ import annotations

from typing import Any, ClassVar

#: Every HTTP status an error may carry.
ALLOWED_STATUSES = frozenset({400, 403, 404, 409, 422, 423, 429, 500, 503, 507})


class KapError(Exception):
    """The root: a deliberate error with a clear message (anything else is a bug)."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    exit_code: ClassVar[int] = 1
    #: Attributes beyond the message that travel in :meth:`payload` (JSON values).
    fields: ClassVar[tuple[str, ...]] = ()

    @property
    def message(self) -> str:
        return str(self)

    def payload(self) -> dict[str, Any]:
        """The error as JSON: ``code``, ``type`` (the class name), ``message`` and its fields."""
        data: dict[str, Any] = {"code": self.code, "type": type(self).__name__}
        data["message"] = str(self)
        for name in self.fields:
            data[name] = _jsonable(getattr(self, name, None))
        return data

    @classmethod
    def rebuild(cls, message: str, payload: dict[str, Any]) -> KapError:
        """An instance with ``message`` and the fields from ``payload`` (bypasses ``__init__``,
        whose arguments differ per class)."""
        exc = cls.__new__(cls)
        Exception.__init__(exc, message)
        for name in cls.fields:
            setattr(exc, name, payload.get(name))
        return exc


def _jsonable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    as_dict = getattr(value, "as_dict", None)
    return as_dict() if callable(as_dict) else value


class InvalidInput(KapError, ValueError):
    """Input a clinician can fix; ``problems`` lists each one in plain words."""

    status, code, fields = 422, "invalid_input", ("problems",)

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))

    @classmethod
    def rebuild(cls, message: str, payload: dict[str, Any]) -> KapError:
        problems = payload.get("problems")
        exc = super().rebuild(message, payload)
        exc.problems = [str(p) for p in problems] if isinstance(problems, list) else [message]  # type: ignore[attr-defined]
        return exc


class UnknownTemplate(InvalidInput, KeyError):
    """No form template by that name, url or version (a ``KeyError`` too, for lookups)."""

    code = "unknown_template"

    def __init__(self, message: str) -> None:
        super().__init__([message])

    def __str__(self) -> str:  # not KeyError's quoted repr
        return Exception.__str__(self)


class TemplateError(KapError, ValueError):
    """A template file is invalid; every problem names the file, the linkId and what is wrong."""

    status, code, fields = 500, "template_invalid", ("problems",)

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class MigrationError(KapError, LookupError):
    """No chain of migrations leads from one template version to the other."""

    status, code = 500, "migration_missing"


class ExportError(KapError, RuntimeError):
    """A report could not be produced; the message says why."""

    status, code = 500, "export_failed"


class VaultError(KapError):
    """The vault refused or failed; the message says why."""

    status, code = 400, "vault_error"


class VaultNotFound(VaultError):
    """No vault exists at the given location."""

    code = "vault_not_found"


class VaultLocked(VaultError):
    """The vault is locked: unlock it first."""

    status, code = 423, "vault_locked"


class WrongPassphrase(VaultError):
    """The passphrase (or recovery code) is wrong."""

    status, code = 403, "wrong_passphrase"


class WeakKdfParameters(VaultError):
    """Stored key-derivation parameters are weaker than allowed."""

    status, code = 403, "weak_kdf_parameters"


class NotAuthorised(VaultError):
    """The user is not allowed to do this."""

    status, code = 403, "not_authorised"


class UnknownUser(VaultError):
    """No such user (403, like a wrong passphrase: who exists is not confirmed)."""

    status, code = 403, "unknown_user"


class UnknownPatient(VaultError):
    """No such patient."""

    status, code = 404, "unknown_patient"


class UnknownRecord(VaultError):
    """No such record."""

    status, code = 404, "unknown_record"


class UnknownConfirmation(VaultError):
    """No such confirmation is waiting (already answered, cancelled, expired or not yours)."""

    status, code = 404, "unknown_confirmation"


class UserExists(VaultError):
    """A user with that name already exists."""

    status, code = 409, "user_exists"


class StaleVersion(VaultError):
    """The record changed since it was read."""

    status, code = 409, "stale_version"


class SignedRecordImmutable(VaultError):
    """The record's current version is signed and can never be overwritten."""

    status, code = 409, "signed_record_immutable"


class IntegrityError(VaultError):
    """Stored data does not verify against the audit chain or its signatures."""

    status, code, exit_code = 409, "integrity_error", 3


class RecordUnreadable(VaultError):
    """A record could not be decrypted. Deliberately opaque."""

    status, code, fields = 409, "record_unreadable", ("record_id",)

    def __init__(self, record_id: str) -> None:
        self.record_id = record_id
        super().__init__(f"record {record_id} could not be opened (wrong key, or it was altered)")


class NotConfirmed(VaultError):
    """The user cancelled (or never confirmed) an operation that needs their passphrase."""

    status, code = 409, "not_confirmed"


class NotSignable(VaultError):
    """The note has problems to fix before it can be signed; ``issues`` are the validation
    issues (objects with ``as_dict()``, or plain dicts once rebuilt from a payload)."""

    status, code, fields = 422, "not_signable", ("issues",)

    def __init__(self, issues: list[Any]) -> None:
        self.issues = issues
        listing = "; ".join(str(getattr(i, "message", i)) for i in issues[:8])
        more = f" (and {len(issues) - 8} more)" if len(issues) > 8 else ""
        super().__init__(f"cannot sign yet: {listing}{more}")


class TooManyAttempts(VaultError):
    """Too many consecutive wrong passphrases for one user: refused until the back-off ends."""

    status, code, fields = 429, "too_many_attempts", ("user", "retry_after_seconds")

    def __init__(self, user: str, retry_after_seconds: int) -> None:
        super().__init__(
            f"Too many wrong passphrases for {user}: try again in {retry_after_seconds} s"
        )
        self.user = user
        self.retry_after_seconds = retry_after_seconds


class UnlockBusy(VaultError):
    """Another passphrase derivation is running in this process; nothing was tried.

    ``retry_after_seconds`` is a whole number of seconds worth waiting before trying again.
    """

    status, code, fields = 503, "unlock_busy", ("retry_after_seconds",)

    def __init__(self, message: str = "", *, retry_after_seconds: int = 3) -> None:
        super().__init__(message or "Another unlock is in progress; try again in a few seconds")
        self.retry_after_seconds = retry_after_seconds


class StorageError(VaultError):
    """The vault's storage failed; nothing was changed by the failed operation."""

    status, code = 503, "storage_error"


class StorageFull(StorageError):
    """The disk holding the vault is full."""

    status, code = 507, "storage_full"

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "the vault's disk is full: nothing was saved; what you typed is still in the "
            "form. Ask your clinic's admin to free space, then save again"
        )


class StorageUnavailable(StorageError):
    """The vault's storage cannot be used now: read-only, an I/O error, or the database server
    is unreachable."""

    status, code = 503, "storage_unavailable"

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "the vault's storage is unavailable (read-only, a disk error or the database "
            "is unreachable): nothing was saved; what you typed is still in the form. Try "
            "again shortly, or ask your clinic's admin"
        )


def all_errors() -> list[type[KapError]]:
    """Every class of the tree, the root first (depth first, in definition order)."""
    found: list[type[KapError]] = []

    def walk(cls: type[KapError]) -> None:
        found.append(cls)
        for sub in cls.__subclasses__():
            if sub.__module__ == __name__:
                walk(sub)

    walk(KapError)
    return found


def error_class(code: str) -> type[KapError] | None:
    """The class whose stable ``code`` is ``code`` (None if unknown)."""
    return next((cls for cls in all_errors() if cls.code == code), None)


def from_payload(payload: dict[str, Any]) -> KapError:
    """Rebuild the error :meth:`KapError.payload` described, by its ``code``; an unknown code
    (a newer server) becomes a :class:`VaultError` with the message."""
    message = str(payload.get("message") or payload.get("error") or "")
    cls = error_class(str(payload.get("code") or "")) or VaultError
    return cls.rebuild(message, payload)
