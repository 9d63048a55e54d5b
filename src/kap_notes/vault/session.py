"""An unlocked user: their keys in memory, patient keys on demand, encrypted reads and writes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kap_notes.model.people import Role, User
from kap_notes.vault import audit, crypto, keys
from kap_notes.vault.crypto import KeyPair, OpenError
from kap_notes.vault.errors import (
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
from kap_notes.vault.store import AuditRow, PatientRow, RecordRow, UserRow

if TYPE_CHECKING:
    from kap_notes.vault.vault import Vault

#: A record whose current version holds this key (non-null) is signed and frozen.
SIGNATURE_KEY = "signature"


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


class Session:
    """An unlocked user. Holds private keys in memory only; :meth:`lock` drops them."""

    def __init__(self, vault: Vault, user: UserRow, key_pair: KeyPair) -> None:
        self.vault = vault
        self.store = vault.store
        self.user_row = user
        self._keys: KeyPair | None = key_pair
        self._patient_keys: dict[tuple[str, int], bytes] = {}

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

    @property
    def key_pair(self) -> KeyPair:
        if self._keys is None:
            raise VaultLocked("the vault is locked: unlock it to continue (nothing was lost)")
        return self._keys

    def reauthenticate(self, passphrase: str) -> None:
        """Check the user's passphrase again (before signing). Raises :class:`WrongPassphrase`."""
        key_pair = keys.unwrap_keys(
            self.user_row.key_wrap,
            passphrase,
            vault_id=self.vault.vault_id,
            user_id=self.user_id,
            kind="passphrase",
            floor=self.vault.kdf_floor,
        )
        if key_pair.signing_public != self.key_pair.signing_public:
            raise WrongPassphrase("wrong passphrase for this user")

    def require_role(self, *roles: Role) -> None:
        """Raise :class:`NotAuthorised` unless the user has one of ``roles``."""
        if self.role not in roles:
            allowed = " or ".join(r.value for r in roles)
            raise NotAuthorised(
                f"{self.user_row.name} is a {self.role.value}; this needs {allowed}"
            )

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
    ) -> AuditRow:
        """Append an audit entry signed by this user. Call inside ``store.transaction()``."""
        event = audit.AuditEvent(self.user_id, action, patient, record, version, blob_sha256)
        return self.store.append_audit(event.builder(self.sign_bytes))

    def log(self, action: str, patient: str | None = None, record: str | None = None) -> None:
        """Append an audit entry in a transaction of its own (reads, exports)."""
        self.key_pair  # noqa: B018 - a locked session may not log
        with self.store.transaction():
            self.audit(action, patient, record)

    # ------------------------------------------------------------------------ patient keys
    def patient(self, patient_id: str) -> PatientRow:
        row = self.store.get_patient(patient_id)
        if row is None:
            raise UnknownPatient(f"no patient {patient_id} in this vault")
        return row

    def has_access(self, patient_id: str) -> bool:
        """True if this user holds a key for the patient's current epoch."""
        row = self.patient(patient_id)
        return self.store.get_wrap(patient_id, row.epoch, self.user_id) is not None

    def patient_key(
        self, patient_id: str, epoch: int, prefetched: dict[tuple[str, int], bytes] | None = None
    ) -> bytes:
        """The patient's key for ``epoch``, unwrapped with this user's private key."""
        cached = self._patient_keys.get((patient_id, epoch))
        if cached is not None:
            return cached
        box = self.key_pair.box
        sealed = (prefetched or {}).get((patient_id, epoch)) or self.store.get_wrap(
            patient_id, epoch, self.user_id
        )
        if sealed is None:
            raise NotAuthorised(
                f"{self.user_row.name} has no access to patient {patient_id}; ask their "
                "treating therapist or an admin for a grant"
            )
        context = wrap_context(self.vault.vault_id, patient_id, epoch, self.user_id)
        try:
            key = crypto.open_from(box, sealed, context)
        except OpenError as exc:
            raise NotAuthorised(f"the key for patient {patient_id} could not be opened") from exc
        self._patient_keys[(patient_id, epoch)] = key
        return key

    def wrap_for(self, patient_id: str, epoch: int, key: bytes, recipient: str) -> None:
        """Store ``key`` wrapped to ``recipient`` (a user id or the break-glass key). *tx*"""
        if recipient == BREAK_GLASS:
            public = self.vault.break_glass_public
        else:
            user = self.store.get_user(recipient)
            if user is None:
                raise NotAuthorised(f"unknown recipient {recipient}")
            public = self.vault.recipient_public(user)
        context = wrap_context(self.vault.vault_id, patient_id, epoch, recipient)
        self.store.put_wrap(patient_id, epoch, recipient, crypto.seal_to(public, key, context))

    # ---------------------------------------------------------------------------- records
    def create_patient(self, profile: Mapping[str, Any]) -> str:
        """A new patient treated by this user; their profile becomes record ``patient_id``."""
        self.require_role(Role.THERAPIST)
        patient_id = new_id("pt")
        key = crypto.random_bytes(crypto.KEY_BYTES)
        blob = self._seal(
            key, patient_id=patient_id, record_id=patient_id, version=1, epoch=1, content=profile
        )
        recipients = [self.user_id, *self.store.supervisors_of(self.user_id), BREAK_GLASS]
        with self.store.transaction():
            self.store.add_patient(PatientRow(patient_id, 1, self.user_id))
            for recipient in dict.fromkeys(recipients):
                self.wrap_for(patient_id, 1, key, recipient)
            self.store.insert_record(RecordRow(patient_id, patient_id, 1, blob))
            self.audit("create", patient_id, patient_id, 1, crypto.sha256(blob).hex())
        self._patient_keys[(patient_id, 1)] = key
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
        Returns ``(record_id, version)``. Raises :class:`StaleVersion` if someone saved first and
        :class:`SignedRecordImmutable` if the current version is signed.
        """
        new = expected_version is None
        record_id = record_id or new_id("rec")
        version = 1 if expected_version is None else expected_version + 1
        for _attempt in range(3):
            epoch = self.patient(patient_id).epoch
            blob = self._seal(
                self.patient_key(patient_id, epoch),
                patient_id=patient_id,
                record_id=record_id,
                version=version,
                epoch=epoch,
                content=content,
            )
            with self.store.transaction():
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

    def _check_overwrite(self, patient_id: str, record_id: str) -> None:
        current = self.store.get_record(record_id)
        if current is None:
            raise UnknownRecord(f"no record {record_id}")
        if current.patient_id != patient_id:
            raise NotAuthorised(f"record {record_id} belongs to another patient")
        if is_signed(self._open(current).content):
            raise SignedRecordImmutable(
                f"record {record_id} version {current.version} is signed and cannot be changed; "
                "add an addendum instead"
            )

    def get_record(self, record_id: str, version: int | None = None) -> StoredRecord:
        """Decrypt one record (its current version unless ``version``). Audited as a read."""
        row = self.store.get_record(record_id, version)
        if row is None:
            raise UnknownRecord(
                f"no record {record_id}" + (f" version {version}" if version else "")
            )
        record = self._open(row)
        self.log("read", row.patient_id, record_id)
        return record

    def read_patient(self, patient_id: str) -> list[StoredRecord]:
        """Decrypt the current version of every record of one patient. One audited read."""
        self.patient(patient_id)
        records = [self._open(row) for row in self.store.latest_records(patient_id)]
        self.log("read", patient_id)
        return records

    def list_patients(self) -> list[StoredRecord]:
        """The profile record of every patient this user can open. One audited read."""
        rows = self.store.profiles_for(self.user_id)
        sealed = self.store.wraps_for(self.user_id)
        profiles = [self._open(row, sealed) for row in rows]
        self.log("read")
        return profiles

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

    def _open(
        self, row: RecordRow, sealed: dict[tuple[str, int], bytes] | None = None
    ) -> StoredRecord:
        try:
            header = crypto.read_record_header(row.blob)
            key = self.patient_key(row.patient_id, header.epoch, sealed)
            header, content = crypto.open_record(
                key,
                row.blob,
                vault=self.vault.vault_id,
                patient=row.patient_id,
                record=row.record_id,
                version=row.version,
            )
        except OpenError as exc:
            raise RecordUnreadable(row.record_id) from exc
        return StoredRecord(row.record_id, row.patient_id, row.version, header.epoch, content)

    # ------------------------------------------------------------------------ own keys
    def change_passphrase(self, new_passphrase: str, *, action: str = "passwd") -> str:
        """Re-wrap this user's keys under a new passphrase; returns a fresh recovery code."""
        recovery = keys.new_code()
        params = self.vault.wrap_params()
        vault_id, user_id = self.vault.vault_id, self.user_id
        key_wrap = keys.wrap_keys(
            self.key_pair,
            new_passphrase,
            vault_id=vault_id,
            user_id=user_id,
            kind="passphrase",
            params=params,
        )
        recovery_wrap = keys.wrap_keys(
            self.key_pair,
            recovery,
            vault_id=vault_id,
            user_id=user_id,
            kind="recovery",
            params=params,
        )
        with self.store.transaction():
            self.store.update_user_wraps(user_id, key_wrap, recovery_wrap)
            self.audit(action, record=user_id)
        return recovery

    def fulfil_pending_grants(self) -> int:
        """Add wraps an admin asked for on patients whose key this user holds."""
        mine = self.store.patients_with_wrap_for(self.user_id)
        done = 0
        for patient_id, user_id in self.store.pending_grants(mine):
            row = self.patient(patient_id)
            epochs = range(1, row.epoch + 1)
            if not all(self.store.get_wrap(patient_id, e, self.user_id) for e in epochs):
                continue
            with self.store.transaction():
                for epoch in epochs:
                    self.wrap_for(patient_id, epoch, self.patient_key(patient_id, epoch), user_id)
                self.store.delete_pending_grant(patient_id, user_id)
                self.audit("grant", patient_id, user_id)
            done += 1
        return done
