"""The storage interface every backend implements (SQLite now, PostgreSQL later).

A backend stores opaque bytes and ids; it never sees plaintext PHI and does no cryptography.
Mutating methods must be called inside ``with store.transaction():`` — one durable, serialised
transaction (SQLite ``BEGIN IMMEDIATE``; PostgreSQL a row lock on the audit head) so that a record
and its audit entry commit together and the audit chain stays a single line.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class UserRow:
    """A user as stored: name, role, public keys and wrapped private keys."""

    user_id: str
    name: str
    role: str
    box_public: bytes
    signing_public: bytes
    key_wrap: str
    recovery_wrap: str | None
    active: bool = True


@dataclass(frozen=True)
class PatientRow:
    """A patient as stored: a random id, the current key epoch, the treating therapist."""

    patient_id: str
    epoch: int
    owner_id: str


@dataclass(frozen=True)
class RecordRow:
    """One stored version of a record."""

    record_id: str
    patient_id: str
    version: int
    blob: bytes


@dataclass(frozen=True)
class AuditRow:
    """One audit chain entry as stored. ``entry`` is the canonical JSON that was hashed."""

    seq: int
    entry: bytes
    hash: bytes
    signature: bytes
    actor: str
    action: str
    patient: str | None
    record: str | None
    ts: str


#: Tables :meth:`Store.dump_table` returns whole, for ``audit verify``'s comparison with the log.
DUMPABLE = frozenset(
    {"meta", "users", "supervision", "patients", "wraps", "pending_grants", "records"}
)

#: Called inside the write transaction with (next seq, previous hash); returns the row to append.
AuditBuilder = Callable[[int, bytes], AuditRow]


class Store(abc.ABC):
    """Small storage interface. Methods marked *tx* require an open transaction."""

    @abc.abstractmethod
    def transaction(self, *, durable: bool = True) -> AbstractContextManager[None]:
        """Open a serialised write transaction; commit on success, roll back on error.

        ``durable=False``: the commit does not wait for the disk (SQLite WAL ``synchronous=
        NORMAL``, PostgreSQL ``synchronous_commit=off``). A power failure or OS crash may lose
        it (never half of it; a process crash loses nothing), and the next durable commit makes
        it durable too. Only for writes a later durable one supersedes (a form's autosave)."""

    @abc.abstractmethod
    def snapshot(self) -> AbstractContextManager[None]:
        """A read transaction: every read inside sees one consistent state of the store."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""

    # meta
    @abc.abstractmethod
    def get_meta(self, key: str) -> str | None: ...

    @abc.abstractmethod
    def set_meta(self, key: str, value: str) -> None:
        """*tx*"""

    # users
    @abc.abstractmethod
    def add_user(self, user: UserRow) -> None:
        """*tx*"""

    @abc.abstractmethod
    def update_user_wraps(self, user_id: str, key_wrap: str, recovery_wrap: str | None) -> None:
        """*tx*"""

    @abc.abstractmethod
    def get_user(self, user_id: str) -> UserRow | None: ...

    @abc.abstractmethod
    def get_user_by_name(self, name: str) -> UserRow | None: ...

    @abc.abstractmethod
    def list_users(self) -> list[UserRow]: ...

    # supervision
    @abc.abstractmethod
    def add_supervision(self, supervisor_id: str, therapist_id: str) -> None:
        """*tx*"""

    # patients and their key wraps
    @abc.abstractmethod
    def add_patient(self, patient: PatientRow) -> None:
        """*tx*"""

    @abc.abstractmethod
    def set_patient_epoch(self, patient_id: str, epoch: int) -> None:
        """*tx*"""

    @abc.abstractmethod
    def list_patients(self) -> list[PatientRow]: ...

    @abc.abstractmethod
    def put_wrap(self, patient_id: str, epoch: int, recipient: str, sealed: bytes) -> None:
        """*tx*"""

    @abc.abstractmethod
    def get_wrap(self, patient_id: str, epoch: int, recipient: str) -> bytes | None: ...

    @abc.abstractmethod
    def wrap_recipients(self, patient_id: str, epoch: int) -> list[str]: ...

    @abc.abstractmethod
    def patients_with_wrap_for(self, recipient: str) -> list[str]: ...

    @abc.abstractmethod
    def delete_wraps(self, patient_id: str, recipient: str | None = None) -> int:
        """*tx* — delete one recipient's wraps (all epochs), or every wrap of the patient; the
        sealed patient lists of those who lose a wrap are emptied."""

    @abc.abstractmethod
    def add_pending_grant(self, patient_id: str, user_id: str) -> None:
        """*tx*"""

    @abc.abstractmethod
    def delete_pending_grant(self, patient_id: str, user_id: str) -> None:
        """*tx*"""

    # records
    @abc.abstractmethod
    def insert_record(self, row: RecordRow) -> None:
        """*tx* — a new record (version 1); raises StaleVersion if the id exists."""

    @abc.abstractmethod
    def update_record(self, row: RecordRow, expected_version: int) -> None:
        """*tx* — new version ``row.version`` only if the current one is ``expected_version``."""

    @abc.abstractmethod
    def get_record(self, record_id: str, version: int | None = None) -> RecordRow | None: ...

    @abc.abstractmethod
    def latest_records(self, patient_id: str | None = None) -> Iterator[RecordRow]:
        """The current version of every record (of one patient, or of the vault)."""

    @abc.abstractmethod
    def record_ids(self, patient_id: str) -> list[tuple[str, int]]: ...

    @abc.abstractmethod
    def profiles_for(self, recipient: str) -> list[RecordRow]:
        """The profile record (id = patient id) of each patient whose current key epoch is
        wrapped to ``recipient`` — one query, for patient lists."""

    @abc.abstractmethod
    def wraps_for(self, recipient: str) -> dict[tuple[str, int], bytes]:
        """Every wrap to ``recipient``: (patient id, epoch) → sealed key."""

    @abc.abstractmethod
    def delete_versions_before(self, record_id: str, version: int) -> int:
        """*tx* — drop a record's stored versions older than ``version`` (compiled artefacts
        only: :mod:`~.vault.artefacts`); returns how many went."""

    @abc.abstractmethod
    def delete_patient(self, patient_id: str) -> None:
        """*tx* — remove a patient's records, versions, wraps and row (crypto-shredding), and
        empty every user's sealed patient list (:mod:`~.vault.directory`)."""

    @abc.abstractmethod
    def forget_patient_lists(self, user_id: str | None = None) -> None:
        """*tx* — empty one user's sealed patient list, or everyone's (revocation, shredding)."""

    @abc.abstractmethod
    def scrub(self) -> None:
        """Make deleted bytes unrecoverable from the store's files (outside a transaction)."""

    # audit chain
    @abc.abstractmethod
    def append_audit(self, build: AuditBuilder) -> AuditRow:
        """*tx* — append the row ``build(next_seq, head_hash)`` returns."""

    @abc.abstractmethod
    def audit_rows(self, patient_id: str | None = None, after: int = 0) -> Iterator[AuditRow]:
        """Audit entries in order: all (after ``after``), or those about one patient."""

    @abc.abstractmethod
    def dump_table(self, table: str) -> list[tuple[Any, ...]]:
        """Every row of one of :data:`DUMPABLE`, ordered (for ``audit verify``)."""

    @abc.abstractmethod
    def record_versions(self) -> Iterator[tuple[str, int, bytes]]:
        """(record id, version, blob) of every stored version, for ``audit verify``."""

    @abc.abstractmethod
    def find_audit(self, action: str, record: str) -> AuditRow | None:
        """The newest audit entry with this action about this record (e.g. a user's keys)."""

    @abc.abstractmethod
    def shredded_patients(self) -> set[str]:
        """Patients whose records were crypto-shredded (their audited writes are gone)."""

    @abc.abstractmethod
    def latest_audited_writes(self) -> dict[str, tuple[str | None, int, str]]:
        """record id → (patient id, version, blob sha256 hex) of its newest audited write."""
