"""An unlocked user: their keys in memory, patient keys on demand, encrypted reads and writes.

Every decision here (which epoch, whose wrap, who may write) comes from the session's verified
:class:`~.policy.Policy`, brought up to date inside each write transaction; every entry the
session writes is applied to that policy before the transaction commits, so an act the rules
refuse is rolled back with :class:`NotAuthorised` whatever code asked for it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from kap_notes.errors import StorageFull
from kap_notes.model.people import Role, User, person_label
from kap_notes.vault import attempts, audit, clinic, crypto, directory, keys, trust
from kap_notes.vault.crypto import KeyPair, OpenError
from kap_notes.vault.errors import (
    IntegrityError,
    NotAuthorised,
    RecordUnreadable,
    SignedRecordImmutable,
    StaleVersion,
    UnknownPatient,
    UnknownRecord,
    VaultLocked,
    WrongPassphrase,
)
from kap_notes.vault.ids import BREAK_GLASS, new_id
from kap_notes.vault.policy import (
    PATIENT,
    PROCESS,
    Policy,
    Unauthorised,
    wrap_commit_context,
    wraps_listing,
)
from kap_notes.vault.recordfacts import RecordFact
from kap_notes.vault.store import AuditRow, PatientRow, RecordRow, Store, UserRow

if TYPE_CHECKING:
    from kap_notes.forms.settings import ClinicSettings
    from kap_notes.vault.vault import Vault

#: A record whose current version holds this key (non-null) is signed and frozen.
SIGNATURE_KEY = "signature"

#: Audit actions that may wait in memory while the vault's disk is full (reading must go on), and
#: how many may wait: they are written, with their own times, before the next write.
DEFERRABLE_ACTIONS = frozenset({"read"})
MAX_DEFERRED_AUDIT = 1000

#: How many decrypted records a session keeps (oldest dropped first): a busy day's patients.
MAX_OPENED = 20_000

#: An audit entry of a read kept for later: (action, patient, record, time of the read).
PendingEntry = tuple[str, str | None, str | None, str]


class NeedsExclusive(BaseException):
    """A shared read (:meth:`Session.shared_read`) met something it may not do alongside other
    reads (a write, entries written since the policy's sync): run it again on its own."""


class _ReadOnlyStore:
    """The store as a shared read sees it: a transaction needs the key holder's exclusive lock."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def transaction(self, **_: Any) -> Any:
        raise NeedsExclusive

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


@dataclass(frozen=True)
class StoredRecord:
    """One decrypted record version."""

    record_id: str
    patient_id: str
    version: int
    epoch: int
    content: dict[str, Any]


def wrap_context(vault_id: str, patient_id: str, epoch: int, recipient: str) -> bytes:
    """What a patient-key wrap is bound to: it cannot be moved to another patient or recipient."""
    return crypto.canonical_json(["kap-notes patient key", vault_id, patient_id, epoch, recipient])


def is_signed(content: Mapping[str, Any]) -> bool:
    """True if a record version carries a signature (and is therefore immutable)."""
    return content.get(SIGNATURE_KEY) is not None


def wrap_user_keys(
    key_pair: KeyPair, passphrase: str, recovery: str, *, vault_id: str, user_id: str, params: Any
) -> tuple[str, str]:
    """A user's private keys wrapped under their passphrase and under their recovery code."""
    return (
        keys.wrap_keys(
            key_pair,
            passphrase,
            vault_id=vault_id,
            user_id=user_id,
            kind="passphrase",
            params=params,
        ),
        keys.wrap_keys(
            key_pair, recovery, vault_id=vault_id, user_id=user_id, kind="recovery", params=params
        ),
    )


def now_utc() -> str:
    """The time entries and break-glass expiries are compared with."""
    return audit.utc_now()


class Session:
    """An unlocked user. Holds private keys in memory only; :meth:`lock` drops them."""

    def __init__(self, vault: Vault, user: UserRow, key_pair: KeyPair, policy: Policy) -> None:
        self.vault = vault
        self.user_row = user
        self.policy = policy
        self.notices: list[str] = []
        self._keys: KeyPair | None = key_pair
        self._patient_keys: dict[tuple[str, int], bytes] = {}
        self._stale = False
        #: (action, patient, record, time) of reads made while the disk was full.
        self._deferred: list[tuple[str, str | None, str | None, str]] = []
        #: Decrypted values the service keeps between calls (e.g. a patient's signed notes for
        #: autosave's as-of context); dropped with the keys by :meth:`lock`.
        self.memo: dict[Any, Any] = {}
        #: Records this session decrypted, by (space, record, version, sha256 of the blob): the
        #: JSON of their content and their epoch (see :meth:`_open`); dropped by :meth:`lock`.
        self._opened: dict[tuple[str, str, int, bytes], tuple[int, str]] = {}
        self._opened_lock = threading.Lock()
        #: Per thread: the audit entries of the shared read running there (see shared_read).
        self._shared = threading.local()

    @property
    def store(self) -> Store:
        """The vault's store (read-only in this thread's shared read)."""
        shared: Store | None = getattr(self._shared, "store", None)
        return shared if shared is not None else self.vault.store

    # -------------------------------------------------------------------------- identity
    @property
    def user(self) -> User:
        return User(self.user_row.user_id, self.user_row.name, Role(self.user_row.role))

    @property
    def user_id(self) -> str:
        return self.user_row.user_id

    @property
    def role(self) -> Role:
        return Role(self.user_row.role)

    @property
    def locked(self) -> bool:
        return self._keys is None

    def lock(self) -> None:
        """Forget every key this session holds."""
        self._keys = None
        self._patient_keys.clear()
        self.memo.clear()
        with self._opened_lock:
            self._opened.clear()

    @property
    def key_pair(self) -> KeyPair:
        if self._keys is None:
            raise VaultLocked("the vault is locked: unlock it to continue (nothing was lost)")
        return self._keys

    def reauthenticate(self, passphrase: str) -> None:
        """Check the user's passphrase again (before signing). Raises :class:`WrongPassphrase`;
        wrong answers count towards the same back-off as unlocking."""
        attempts.check_allowed(self.store, self.user_id, name=self.user_row.name)
        stored = self.store.get_user(self.user_id)
        try:
            key_pair = keys.unwrap_keys(
                stored.key_wrap if stored else "",
                passphrase,
                vault_id=self.vault.vault_id,
                user_id=self.user_id,
                kind="passphrase",
                floor=self.vault.kdf_floor,
            )
            if key_pair.signing_public != self.key_pair.signing_public:
                raise WrongPassphrase("wrong passphrase for this user")
        except WrongPassphrase:
            attempts.record_failure(self.store, self.user_id)
            raise
        attempts.record_success(self.store, self.user_id)

    def require_role(self, *roles: Role) -> None:
        """Raise :class:`NotAuthorised` unless the user has one of ``roles``."""
        if self.role not in roles:
            allowed = " or ".join(r.value for r in roles)
            raise NotAuthorised(
                f"{self.user_row.name} is a {self.role.value}; this needs {allowed}"
            )

    def user_named(self, name: str) -> tuple[str, str]:
        """``(user id, role)`` of the active user ``name``, by the signed log."""
        return self.vault.user(name, self.policy)

    def user_name(self, user_id: str) -> str:
        """A user's name by the signed log (the id itself if unknown)."""
        fact = self.policy.users.get(user_id)
        return fact.name if fact is not None else user_id

    def user_label(self, user_id: str) -> str:
        """A user as shown beside signatures, by the signed log: ``Tess Taylor, LCSW``."""
        fact = self.policy.users.get(user_id)
        if fact is None:
            return user_id
        return person_label(fact.name, fact.display_name, fact.credentials)

    def signing_key_of(self, user_id: str) -> bytes | None:
        """A user's signature key, by the signed log (never the users table)."""
        return self.policy.signing_key(user_id)

    # ---------------------------------------------------------------------- the policy
    def sync(self) -> None:
        """Bring the verified policy up to date with entries others wrote since."""
        if self._pending() is not None:
            return  # a shared read: synced before, and its snapshot holds nothing newer
        try:
            if self._stale:
                self.policy, _ = self.vault.load_policy(self.key_pair, self.user_id)
                self._stale = False
            else:
                trust.sync(self.store, self.policy)
        except Unauthorised as exc:
            self._stale = True
            raise IntegrityError(f"vault integrity check failed: {exc}") from exc

    @contextmanager
    def writing(self) -> Iterator[None]:
        """A write transaction that starts from the newest verified policy."""
        if self._pending() is not None:
            raise NeedsExclusive
        written = len(self._deferred)
        try:
            with self.store.transaction():
                self.sync()
                for action, patient, record, stamp in self._deferred[:written]:
                    self.audit(action, patient, record, ts=stamp)
                yield
        except BaseException:
            self._stale = True  # entries applied in memory were rolled back (or the commit failed)
            raise
        del self._deferred[:written]

    # ----------------------------------------------------------------------------- audit
    def sign_bytes(self, message: bytes) -> bytes:
        """Ed25519 signature by this user."""
        return crypto.sign(self.key_pair.signing, message)

    def audit(
        self,
        action: str,
        patient: str | None = None,
        record: str | None = None,
        version: int | None = None,
        blob_sha256: str | None = None,
        *,
        data: Mapping[str, Any] | None = None,
        ts: str | None = None,
    ) -> AuditRow:
        """Append an entry signed by this user and apply it to the policy. Inside
        :meth:`writing`; an act the rules refuse raises :class:`NotAuthorised` (rolled back)."""
        event = audit.AuditEvent(self.user_id, action, patient, record, version, blob_sha256, data)
        row = self.store.append_audit(event.builder(self.sign_bytes, ts))
        try:
            self.policy.apply(row)
        except Unauthorised as exc:
            self._stale = True
            raise NotAuthorised(f"not allowed: {exc}") from exc
        return row

    def log(self, action: str, patient: str | None = None, record: str | None = None) -> None:
        """Append an audit entry in a transaction of its own (reads, exports).

        While the vault's disk is full a read is still allowed: its entry waits in this session
        (with the time of the read) and is written before the next write, in chain order, so the
        chain still verifies. Anything else (exports), or too many waiting reads, raises
        :class:`~kap_notes.errors.StorageFull`.
        """
        self.key_pair  # noqa: B018 - a locked session may not log
        stamp = audit.utc_now()
        pending = self._pending()
        if pending is not None:
            pending.append((action, patient, record, stamp))
            return
        try:
            with self.writing():
                self.audit(action, patient, record, ts=stamp)
        except StorageFull:
            if action not in DEFERRABLE_ACTIONS or len(self._deferred) >= MAX_DEFERRED_AUDIT:
                raise
            self._deferred.append((action, patient, record, stamp))

    def log_many(self, action: str, patients: list[str]) -> None:
        """:meth:`log` for several patients in one transaction (one entry each, one commit)."""
        if len(patients) <= 1:
            for patient in patients:
                self.log(action, patient)
            return
        self.key_pair  # noqa: B018 - a locked session may not log
        stamp = audit.utc_now()
        pending = self._pending()
        if pending is not None:
            pending.extend((action, patient, None, stamp) for patient in patients)
            return
        try:
            with self.writing():
                for patient in patients:
                    self.audit(action, patient, ts=stamp)
        except StorageFull:
            room = MAX_DEFERRED_AUDIT - len(self._deferred)
            if action not in DEFERRABLE_ACTIONS or len(patients) > room:
                raise
            self._deferred.extend((action, patient, None, stamp) for patient in patients)

    # ---------------------------------------------------------------------- shared reads
    def _pending(self) -> list[PendingEntry] | None:
        """This thread's shared read's audit entries (None outside one)."""
        pending: list[PendingEntry] | None = getattr(self._shared, "entries", None)
        return pending

    @contextmanager
    def shared_read(self) -> Iterator[list[PendingEntry]]:
        """Reads that may run alongside other threads' shared reads (never alongside a write,
        a sync or :meth:`audit_reads`: the caller keeps those out, see the key holder).

        The store is read in one snapshot that must hold no entry newer than the policy;
        nothing here changes the policy or the store: audit entries are collected (with the
        times of the reads) for :meth:`audit_reads`, to be written before anything read is
        shown. Raises :class:`NeedsExclusive` if the reads need a write or a newer policy.
        """
        self.key_pair  # noqa: B018 - a locked session may not read
        entries: list[PendingEntry] = []
        with self.store.snapshot():
            rows = self.store.audit_rows(after=self.policy.seq)
            newer = next(rows, None)
            del rows
            if self._stale or newer is not None:
                raise NeedsExclusive
            self._shared.entries = entries
            self._shared.store = cast("Store", _ReadOnlyStore(self.vault.store))
            try:
                yield entries
            finally:
                self._shared.entries = self._shared.store = None

    def audit_reads(self, entries: list[PendingEntry]) -> None:
        """Write a shared read's audit entries in one transaction (while the disk is full,
        reads wait in the session as with :meth:`log`)."""
        if not entries:
            return
        try:
            with self.writing():
                for action, patient, record, stamp in entries:
                    self.audit(action, patient, record, ts=stamp)
        except StorageFull:
            room = MAX_DEFERRED_AUDIT - len(self._deferred)
            if any(e[0] not in DEFERRABLE_ACTIONS for e in entries) or len(entries) > room:
                raise
            self._deferred.extend(entries)

    @property
    def deferred_audit(self) -> int:
        """How many audit entries wait for disk space (see :meth:`log`)."""
        return len(self._deferred)

    def flush_audit(self) -> None:
        """Write the entries waiting for disk space now (raises while the disk is still full)."""
        if self._deferred:
            with self.writing():
                pass

    # -------------------------------------------------------------------- clinic settings
    def clinic_settings(self, version: int | None = None) -> tuple[ClinicSettings, int]:
        """The clinic settings in force (or of ``version``) and their version; 0 = defaults."""
        self.sync()  # an admin may have changed them since this session last looked
        found = clinic.version_of(self.policy, version)
        return found.settings(), found.version

    def set_clinic_settings(self, values: Mapping[str, Any]) -> int:
        """Sign a new version of the clinic settings (admins only; :class:`NotAuthorised`
        otherwise, and the log refuses it whoever writes it). Returns the new version."""
        self.require_role(Role.ADMIN)
        with self.writing():
            data = clinic.entry_data(self.policy, values)
            self.audit(clinic.ACTION, data=data)
        return int(data["version"])

    # ------------------------------------------------------------------------ patient keys
    def patient(self, patient_id: str) -> PatientRow:
        """The patient's owner and current epoch, by the signed log."""
        fact = self.policy.patients.get(patient_id)
        if fact is None:
            self.sync()  # perhaps registered since this session last looked
            fact = self.policy.patients.get(patient_id)
        if fact is None:
            raise UnknownPatient(f"no patient {patient_id} in this vault")
        return PatientRow(patient_id, fact.epoch, fact.owner)

    def may_read(self, patient_id: str) -> bool:
        """True if the signed log lets this user read the patient now."""
        if self.policy.may_read(self.user_id, patient_id, now_utc()):
            return True
        self.sync()  # perhaps granted since this session last looked
        return self.policy.may_read(self.user_id, patient_id, now_utc())

    def has_access(self, patient_id: str) -> bool:
        """True if this user may read the patient and holds a key for its current epoch."""
        row = self.patient(patient_id)
        if not self.may_read(patient_id):
            return False
        return self.store.get_wrap(patient_id, row.epoch, self.user_id) is not None

    def readable_patients(self) -> list[str]:
        """Patients (not process-note spaces) this user may read now."""
        self.sync()
        now = now_utc()
        return sorted(
            pid
            for pid, p in self.policy.patients.items()
            if p.kind == PATIENT and self.policy.may_read(self.user_id, pid, now)
        )

    def process_space(self, patient_id: str) -> str:
        """Where this user's psychotherapy process notes about the patient are kept: a space of
        its own, keyed to the treating therapist (and the break-glass key) only."""
        space = self.policy.process_space(patient_id, self.user_id)
        if space is not None:
            return space
        if self.patient(patient_id).owner_id != self.user_id:
            raise NotAuthorised("process notes are kept by the patient's treating therapist only")
        space = new_id("pt")  # a patient registered before process spaces existed
        with self.writing():
            self.new_space(space, PROCESS, patient_id)
        return space

    def patient_key(
        self, patient_id: str, epoch: int, prefetched: dict[tuple[str, int], bytes] | None = None
    ) -> bytes:
        """The patient's key for ``epoch``, unwrapped with this user's private key."""
        cached = self._patient_keys.get((patient_id, epoch))
        if cached is not None:
            return cached
        if not self.may_read(patient_id):
            raise NotAuthorised(
                f"{self.user_row.name} has no access to patient {patient_id}; ask their "
                "treating therapist for a grant"
            )
        box = self.key_pair.box
        sealed = (prefetched or {}).get((patient_id, epoch)) or self.store.get_wrap(
            patient_id, epoch, self.user_id
        )
        if sealed is None:
            raise NotAuthorised(
                f"{self.user_row.name} has no access to patient {patient_id}; ask their "
                "treating therapist for a grant"
            )
        context = wrap_context(self.vault.vault_id, patient_id, epoch, self.user_id)
        try:
            key = crypto.open_from(box, sealed, context)
        except OpenError as exc:
            raise NotAuthorised(f"the key for patient {patient_id} could not be opened") from exc
        commit = self.policy.patients[patient_id].commits.get(epoch)
        commit_context = wrap_commit_context(self.vault.vault_id, patient_id, epoch)
        if commit and crypto.key_commitment(key, commit_context) != commit:
            raise IntegrityError(
                f"the key wrapped to you for patient {patient_id} is not the one its owner made "
                "(the key wrap was swapped): nothing was written; tell the clinic admin"
            )
        self._patient_keys[(patient_id, epoch)] = key
        return key

    def wrap_for(
        self, patient_id: str, epoch: int, key: bytes, recipient: str
    ) -> tuple[str, int, str, bytes]:
        """*tx* — store ``key`` wrapped to ``recipient``; returns the wrap for the entry's list.

        The recipient's public key comes from the signed log, never from the users table.
        """
        if recipient == BREAK_GLASS:
            public = self.vault.break_glass_public(self.policy)
        else:
            fact = self.policy.users.get(recipient)
            if fact is None or not fact.active:
                raise NotAuthorised(f"unknown recipient {recipient}")
            public = bytes.fromhex(fact.box)
        context = wrap_context(self.vault.vault_id, patient_id, epoch, recipient)
        sealed = crypto.seal_to(public, key, context)
        self.store.put_wrap(patient_id, epoch, recipient, sealed)
        return patient_id, epoch, recipient, sealed

    def new_space(self, patient_id: str, kind: str, parent: str | None) -> bytes:
        """*tx* — register a patient (or process-note space) owned by this user; its key."""
        key = crypto.random_bytes(crypto.KEY_BYTES)
        readers = self.policy.new_patient_readers(self.user_id, kind)
        self.store.add_patient(PatientRow(patient_id, 1, self.user_id))
        wraps = [self.wrap_for(patient_id, 1, key, r) for r in [*readers, BREAK_GLASS]]
        commit = crypto.key_commitment(key, wrap_commit_context(self.vault.vault_id, patient_id, 1))
        data = {"kind": kind, "parent": parent, "commit": commit, "wraps": wraps_listing(wraps)}
        self.audit("patient_add", patient_id, data=data)
        self._patient_keys[(patient_id, 1)] = key
        return key

    # ---------------------------------------------------------------------------- records
    def create_patient(self, profile: Mapping[str, Any]) -> str:
        """A new patient treated by this user; their profile becomes record ``patient_id``.

        The patient's process-note space is made at the same time, so that its existence
        says nothing about whether process notes were ever written.
        """
        self.require_role(Role.THERAPIST)
        patient_id = new_id("pt")
        with self.writing():
            key = self.new_space(patient_id, PATIENT, None)
            self.new_space(new_id("pt"), PROCESS, patient_id)
            blob = self._seal(
                key,
                patient_id=patient_id,
                record_id=patient_id,
                version=1,
                epoch=1,
                content=profile,
            )
            self.store.insert_record(RecordRow(patient_id, patient_id, 1, blob))
            self.audit("create", patient_id, patient_id, 1, crypto.sha256(blob).hex())
        return patient_id

    def put_record(
        self,
        patient_id: str,
        content: Mapping[str, Any],
        *,
        record_id: str | None = None,
        expected_version: int | None = None,
        action: str | None = None,
    ) -> tuple[str, int]:
        """Encrypt and store a new record, or a new version of one (optimistic check).

        With ``expected_version=None`` a record is created (``record_id`` may be given, e.g. when
        its content must be signed first). Otherwise version ``expected_version + 1`` is written.
        Returns ``(record_id, version)``. Raises :class:`StaleVersion` if someone saved first,
        :class:`SignedRecordImmutable` if the current version is signed and
        :class:`NotAuthorised` unless this user may write (a record's later versions: its author).
        """
        new = expected_version is None
        if not new and record_id is not None:
            patient_id = self._space_for_update(patient_id, record_id)
        record_id = record_id or new_id("rec")
        version = 1 if expected_version is None else expected_version + 1
        for _attempt in range(3):
            self.sync()
            epoch = self.patient(patient_id).epoch
            blob = self._seal(
                self.patient_key(patient_id, epoch),
                patient_id=patient_id,
                record_id=record_id,
                version=version,
                epoch=epoch,
                content=content,
            )
            with self.writing():
                if self.patient(patient_id).epoch != epoch:
                    continue  # the key was rotated meanwhile (e.g. a revocation): seal again
                if new:
                    self.store.insert_record(RecordRow(record_id, patient_id, 1, blob))
                else:
                    self._check_overwrite(patient_id, record_id)
                    self.store.update_record(
                        RecordRow(record_id, patient_id, version, blob), version - 1
                    )
                digest = crypto.sha256(blob).hex()
                self.audit(
                    action or ("create" if new else "update"),
                    patient_id,
                    record_id,
                    version,
                    digest,
                )
                return record_id, version
        raise StaleVersion(f"patient {patient_id}'s key kept changing while saving; save again")

    def patient_of(self, record_id: str) -> str:
        """The patient a record is about (a process note's too, not its space)."""
        space = self.record_space(record_id)
        fact = self.policy.patients.get(space)
        return fact.parent if fact is not None and fact.parent else space

    def _space_for_update(self, patient_id: str, record_id: str) -> str:
        """A record's later versions go where it is kept (a process note: its own space)."""
        space = self.record_space(record_id)
        fact = self.policy.patients.get(space)
        if space != patient_id and (fact is None or fact.parent != patient_id):
            raise NotAuthorised(f"record {record_id} belongs to another patient")
        return space

    def record_author(self, record_id: str) -> str | None:
        """Who wrote version 1 of a record (the only one who may write its later versions)."""
        fact = self.policy.records.get(record_id)
        return None if fact is None else fact.author

    def _check_overwrite(self, patient_id: str, record_id: str) -> None:
        """By the verified log alone (nothing decrypted): the record exists in this space, was
        started by this user, and no signing entry sealed it (a signed version is the last)."""
        fact = self.policy.records.get(record_id)
        if fact is None:
            raise UnknownRecord(f"no record {record_id}")
        if fact.patient != patient_id:
            raise NotAuthorised(f"record {record_id} belongs to another patient")
        if fact.author != self.user_id:
            raise NotAuthorised(
                f"this note was written by {self.user_name(fact.author)}; only its author "
                "saves over it (add an addendum instead)"
            )
        if fact.sealed:
            raise SignedRecordImmutable(
                f"record {record_id} version {len(fact.digests)} is signed and cannot be "
                "changed; add an addendum instead"
            )

    def get_record(self, record_id: str, version: int | None = None) -> StoredRecord:
        """Decrypt one record (its current version unless ``version``). Audited as a read."""
        self.sync()
        row = self.store.get_record(record_id, version)
        if row is None:
            raise UnknownRecord(
                f"no record {record_id}" + (f" version {version}" if version else "")
            )
        if version is None:
            self._check_current(row)
        record = self._open(row)
        self.log("read", row.patient_id, record_id)
        return record

    def _check_current(self, row: RecordRow) -> None:
        """A record's stored head must be its newest signed write (not an older authentic
        version a database writer rolled it back to)."""
        fact = self.policy.records.get(row.record_id)
        if fact is not None and row.version < len(fact.digests):
            raise IntegrityError(
                f"record {row.record_id}: stored version {row.version} is not the newest signed "
                f"write (version {len(fact.digests)}) — rolled back; tell the clinic admin"
            )

    def read_patient(self, patient_id: str, *, include_process: bool = False) -> list[StoredRecord]:
        """Decrypt the current version of every record of one patient. One audited read.

        ``include_process`` adds this user's own psychotherapy process notes about the patient
        (only the treating therapist has any; nobody else can open them by any route).
        """
        self.sync()  # a revocation or shredding since the last look takes effect now
        records = self._read_unlogged(patient_id, include_process)
        self.log("read", patient_id)
        return records

    def read_patients(
        self, patient_ids: Iterable[str], *, include_process: bool = False, keep: bool = True
    ) -> dict[str, list[StoredRecord]]:
        """:meth:`read_patient` for many patients (My day, the review queue): one audit entry
        per patient as ever, all written in one transaction instead of one each. ``keep=False``
        (a whole-clinic read such as the cohort) neither keeps what it decrypts nor evicts what
        the session kept."""
        self.sync()
        found = {pid: self._read_unlogged(pid, include_process, keep=keep) for pid in patient_ids}
        self.log_many("read", list(found))
        return found

    def _read_unlogged(
        self, patient_id: str, include_process: bool, *, keep: bool = True
    ) -> list[StoredRecord]:
        self.patient(patient_id)
        if not self.may_read(patient_id):
            raise NotAuthorised(
                f"{self.user_row.name} has no access to patient {patient_id}; ask their "
                "treating therapist for a grant"
            )
        spaces = [patient_id]
        space = self.policy.process_space(patient_id, self.user_id) if include_process else None
        if space is not None:
            spaces.append(space)
        rows = [row for pid in spaces for row in self._checked_heads(pid)]
        return [self._open(row, keep=keep) for row in rows]

    def _checked_heads(self, space: str) -> list[RecordRow]:
        """The current version of every record kept in ``space``, held against the verified log
        first: a record missing, added, rolled back or moved by a database writer — however long
        ago, behind the head unlock checked — is refused when its patient is opened."""
        for attempt in range(2):
            rows = list(self.store.latest_records(space))
            problems = trust.patient_problems(
                self.policy, space, {r.record_id: r.version for r in rows}
            )
            if not problems:
                return rows
            if attempt == 0:
                self.sync()  # someone may have written since this session last looked
        raise IntegrityError(
            "vault integrity check failed: " + "; ".join(problems[:3]) + "; tell the clinic admin"
        )

    def record_fact(self, record_id: str) -> RecordFact:
        """What the verified log says of a record (synced once if it is not known yet);
        :class:`UnknownRecord` when no authorised writer ever wrote it."""
        fact = self.policy.records.get(record_id)
        if fact is None:
            self.sync()
            fact = self.policy.records.get(record_id)
        if fact is None:
            raise UnknownRecord(f"no record {record_id}")
        return fact

    def record_space(self, record_id: str) -> str:
        """Where a record is kept: its patient, or that patient's process-note space."""
        return self.record_fact(record_id).patient

    def list_patients(self) -> list[StoredRecord]:
        """The profile record of every patient this user can open. One audited read.

        Profiles still current since this user last decrypted them come from their sealed
        patient list (:mod:`.directory`); only the others are opened (and added to it).
        """
        wanted = self.readable_patients()
        vid = self.vault.vault_id
        listed = directory.read(self.store, vid, self.key_pair, self.user_id)
        kept, missing = directory.current(self.policy, wanted, listed)
        rows: dict[str, RecordRow] = {}
        if len(missing) > 50:
            rows = {r.record_id: r for r in self.store.profiles_for(self.user_id)}
        for pid in missing:
            row = rows.get(pid) or self.store.get_record(pid)
            if row is not None:
                rows[pid] = row
        sealed = self.store.wraps_for(self.user_id) if missing else {}
        for pid in missing:
            if pid in rows:
                self._check_current(rows[pid])
                opened = self._open(rows[pid], sealed)
                digest = crypto.sha256(rows[pid].blob).hex()
                kept[pid] = [opened.version, digest, opened.epoch, opened.content]
        if kept != listed:
            with suppress(StorageFull), self.store.transaction():
                directory.write(self.store, vid, self.key_pair, self.user_id, kept)
        self.log("read")
        return [StoredRecord(pid, pid, e[0], e[2], e[3]) for pid, e in sorted(kept.items())]

    def _seal(
        self,
        key: bytes,
        *,
        patient_id: str,
        record_id: str,
        version: int,
        epoch: int,
        content: Mapping[str, Any],
    ) -> bytes:
        return crypto.seal_record(
            key,
            vault=self.vault.vault_id,
            patient=patient_id,
            record=record_id,
            version=version,
            epoch=epoch,
            content=dict(content),
        )

    def _check_digest(self, row: RecordRow) -> bytes:
        """A stored version must be exactly what an authorised author wrote (returns the blob's
        SHA-256)."""
        fact = self.policy.records.get(row.record_id)
        if fact is None or row.version > len(fact.digests):
            self.sync()
            fact = self.policy.records.get(row.record_id)
        if (
            fact is None
            or fact.patient != row.patient_id
            or not 0 < row.version <= len(fact.digests)
        ):
            raise IntegrityError(
                f"record {row.record_id} version {row.version} was never written by anyone "
                "authorised: the vault was tampered with; tell the clinic admin"
            )
        digest = crypto.sha256(row.blob)
        if digest.hex() != fact.digests[row.version - 1]:
            raise IntegrityError(
                f"record {row.record_id} version {row.version} differs from what its author "
                "wrote (rolled back or replaced): tell the clinic admin"
            )
        return digest

    def _check_sealed(self, row: RecordRow, content: Mapping[str, Any]) -> None:
        """A version that carries a signature must be the one a signing entry sealed (the last).

        Without this an author able to write the database could store a signed-looking version
        under an ordinary update and overwrite it later: "signed" would no longer mean final.
        """
        if content.get("signature") is None:
            return
        fact = self.policy.records[row.record_id]
        if not fact.sealed or row.version != len(fact.digests):
            raise IntegrityError(
                f"record {row.record_id} version {row.version} carries a signature but was not "
                "written by a signing entry: the vault was tampered with; tell the clinic admin"
            )

    def _open(
        self,
        row: RecordRow,
        sealed: dict[tuple[str, int], bytes] | None = None,
        *,
        keep: bool = True,
    ) -> StoredRecord:
        """Decrypt a stored version, checked against the log first. A blob this session
        opened before (same place, version and SHA-256) is not decrypted again: its content
        is parsed from what was kept (a fresh copy), after the same checks and key lookup."""
        digest = self._check_digest(row)
        cache_key = (row.patient_id, row.record_id, row.version, digest)
        kept = self._opened.get(cache_key)
        try:
            if kept is not None:
                epoch = kept[0]
                self.patient_key(row.patient_id, epoch, sealed)  # still readable by this user
                content = json.loads(kept[1])
            else:
                header, content = crypto.open_record(
                    lambda epoch: self.patient_key(row.patient_id, epoch, sealed),
                    row.blob,
                    vault=self.vault.vault_id,
                    patient=row.patient_id,
                    record=row.record_id,
                    version=row.version,
                )
                epoch = header.epoch
                if keep:
                    self._keep_opened(cache_key, epoch, content)
        except OpenError as exc:
            raise RecordUnreadable(row.record_id) from exc
        self._check_sealed(row, content)
        space = self.policy.patients.get(row.patient_id)
        patient_id = space.parent if space is not None and space.parent else row.patient_id
        return StoredRecord(row.record_id, patient_id, row.version, epoch, content)

    def _keep_opened(
        self, cache_key: tuple[str, str, int, bytes], epoch: int, content: Any
    ) -> None:
        text = json.dumps(content, separators=(",", ":"))
        with self._opened_lock:
            while len(self._opened) >= MAX_OPENED:
                self._opened.pop(next(iter(self._opened)))
            self._opened[cache_key] = (epoch, text)

    # ------------------------------------------------------------------------ own keys
    def change_passphrase(self, new_passphrase: str, *, action: str = "passwd") -> str:
        """Re-wrap this user's keys under a new passphrase; returns a fresh recovery code."""
        recovery = keys.new_code()
        params = self.vault.wrap_params()
        vault_id, user_id = self.vault.vault_id, self.user_id
        key_wrap, recovery_wrap = wrap_user_keys(
            self.key_pair,
            new_passphrase,
            recovery,
            vault_id=vault_id,
            user_id=user_id,
            params=params,
        )
        data = {
            "key_wrap": trust.wrap_digest(key_wrap),
            "recovery_wrap": trust.wrap_digest(recovery_wrap),
        }
        with self.writing():
            self.store.update_user_wraps(user_id, key_wrap, recovery_wrap)
            self.audit(action, record=user_id, data=data)
        return recovery
