"""Creating, opening and unlocking a vault. Unlocking yields a :class:`~.session.Session`."""

from __future__ import annotations

import os
from dataclasses import dataclass

from kap_notes.model.people import Role
from kap_notes.vault import audit, backends, crypto, keys
from kap_notes.vault.crypto import DEFAULT_KDF, MINIMUM_KDF, KdfParams, KeyPair
from kap_notes.vault.errors import (
    IntegrityError,
    UnknownUser,
    VaultNotFound,
    WeakKdfParameters,
    WrongPassphrase,
)
from kap_notes.vault.ids import new_id
from kap_notes.vault.session import Session
from kap_notes.vault.store import Store, UserRow

FORMAT = "kap-vault-1"


@dataclass(frozen=True)
class Created:
    """What ``init`` shows once and never stores: the break-glass and recovery codes."""

    vault: Vault
    admin: Session
    break_glass_code: str
    recovery_code: str


class Vault:
    """An encrypted vault. Opening needs no secret; reading anything needs :meth:`unlock`."""

    def __init__(self, store: Store, location: str, *, kdf_floor: KdfParams = MINIMUM_KDF) -> None:
        self.store = store
        self.location = location
        self.kdf_floor = kdf_floor
        vault_id = store.get_meta("vault_id")
        if vault_id is None or store.get_meta("format") != FORMAT:
            raise VaultNotFound(f"{location} is not a kap-notes vault")
        self.vault_id = vault_id
        self.kdf_params = KdfParams(**_kdf_fields(store.get_meta("kdf") or ""))

    # ---------------------------------------------------------------------------- lifecycle
    @classmethod
    def open(cls, location: str | os.PathLike[str], *, kdf_floor: KdfParams = MINIMUM_KDF) -> Vault:
        """Open an existing vault directory (no keys yet).

        ``kdf_floor`` is the weakest key derivation accepted; lower it only for tests and demos.
        """
        store = backends.open_store(location)
        return cls(store, backends.describe(location), kdf_floor=kdf_floor)

    @classmethod
    def init(
        cls,
        location: str | os.PathLike[str],
        *,
        admin_name: str,
        admin_passphrase: str,
        kdf: KdfParams = DEFAULT_KDF,
        kdf_floor: KdfParams = MINIMUM_KDF,
    ) -> Created:
        """Create a vault with its first admin. Returns codes to show exactly once."""
        if not kdf.at_least(kdf_floor):
            raise WeakKdfParameters("these key-derivation parameters are below the minimum")
        store = backends.open_store(location, create=True)
        vault_id = new_id("vault")
        break_glass = KeyPair.generate()
        with store.transaction():
            store.set_meta("format", FORMAT)
            store.set_meta("vault_id", vault_id)
            store.set_meta("kdf", f"{kdf.memory_kib},{kdf.iterations},{kdf.lanes}")
            store.set_meta("break_glass_public", break_glass.box_public.hex())
        vault = cls(store, backends.describe(location), kdf_floor=kdf_floor)
        admin_keys = KeyPair.generate()
        admin_id = new_id("user")
        recovery = vault._store_new_user(
            admin_id,
            admin_name,
            Role.ADMIN,
            admin_keys,
            admin_passphrase,
            actor_keys=admin_keys,
            actor_id=admin_id,
            init=True,
        )
        session = Session(vault, store.get_user(admin_id) or _missing(admin_name), admin_keys)
        raw_private = break_glass.private_bytes()[: crypto.KEY_BYTES]
        return Created(vault, session, keys.break_glass_code(raw_private), recovery)

    def close(self) -> None:
        self.store.close()

    def wrap_params(self) -> KdfParams:
        """KDF parameters for new wraps; refuses stored parameters below the floor."""
        if not self.kdf_params.at_least(self.kdf_floor):
            raise WeakKdfParameters("the vault's key-derivation settings are below the minimum")
        return self.kdf_params

    @property
    def break_glass_public(self) -> bytes:
        """The break-glass public key, checked against the signed ``init`` audit entry."""
        public = bytes.fromhex(self.store.get_meta("break_glass_public") or "")
        audited = audit.audited_fingerprint(self.store, "init", self.vault_id)
        if audited is not None and audited != crypto.sha256(public).hex():
            raise IntegrityError("the stored break-glass key differs from the audited one")
        return public

    def recipient_public(self, user: UserRow) -> bytes:
        """A user's encryption key, checked against the signed entry that added them."""
        fingerprint = audit.key_fingerprint(user.box_public, user.signing_public)
        if audit.audited_fingerprint(self.store, "user_add", user.user_id) != fingerprint:
            raise IntegrityError(f"{user.name}'s stored public keys differ from the audited ones")
        return user.box_public

    # ---------------------------------------------------------------------------- unlocking
    def unlock(self, name: str, passphrase: str) -> Session:
        """Unlock ``name``'s keys. Checks stored records against the audit chain first."""
        user = self.user(name)
        key_pair = keys.unwrap_keys(
            user.key_wrap,
            passphrase,
            vault_id=self.vault_id,
            user_id=user.user_id,
            kind="passphrase",
            floor=self.kdf_floor,
        )
        return self._start_session(user, key_pair)

    def recover(self, name: str, recovery_code: str, new_passphrase: str) -> tuple[Session, str]:
        """Unlock with the one-time recovery code, set a new passphrase, issue a new code."""
        user = self.user(name)
        if user.recovery_wrap is None:
            raise WrongPassphrase(f"{name} has no recovery code left; ask an admin")
        key_pair = keys.unwrap_keys(
            user.recovery_wrap,
            keys.normalise_code(recovery_code),
            vault_id=self.vault_id,
            user_id=user.user_id,
            kind="recovery",
            floor=self.kdf_floor,
        )
        session = self._start_session(user, key_pair)
        new_code = session.change_passphrase(new_passphrase, action="recover")
        return session, new_code

    def _start_session(self, user: UserRow, key_pair: KeyPair) -> Session:
        if key_pair.signing_public != user.signing_public or key_pair.box_public != user.box_public:
            raise IntegrityError(
                f"{user.name}'s stored public keys do not match their private keys"
            )
        session = Session(self, user, key_pair)
        with self.store.transaction():
            audited = self.store.latest_audited_writes()
            present: set[str] = set()
            problems = []
            for row in self.store.latest_records():
                present.add(row.record_id)
                if problem := audit.check_record(row, audited.get(row.record_id)):
                    problems.append(problem)
            shredded = self.store.shredded_patients()
            problems += [
                f"record {record_id}: audited but missing from the store"
                for record_id, (patient, _, _) in sorted(audited.items())
                if record_id not in present and patient not in shredded
            ]
            if problems:
                raise IntegrityError("vault integrity check failed: " + "; ".join(problems[:3]))
            session.audit("unlock")
        session.fulfil_pending_grants()
        return session

    # -------------------------------------------------------------------------------- users
    def user(self, name: str) -> UserRow:
        """Look a user up by name."""
        user = self.store.get_user_by_name(name)
        if user is None or not user.active:
            raise UnknownUser(f"no user named {name!r} in this vault")
        return user

    def _store_new_user(
        self,
        user_id: str,
        name: str,
        role: Role,
        key_pair: KeyPair,
        passphrase: str,
        *,
        actor_keys: KeyPair,
        actor_id: str,
        init: bool = False,
    ) -> str:
        recovery = keys.new_code()
        row = UserRow(
            user_id=user_id,
            name=name,
            role=role.value,
            box_public=key_pair.box_public,
            signing_public=key_pair.signing_public,
            key_wrap=keys.wrap_keys(
                key_pair,
                passphrase,
                vault_id=self.vault_id,
                user_id=user_id,
                kind="passphrase",
                params=self.wrap_params(),
            ),
            recovery_wrap=keys.wrap_keys(
                key_pair,
                recovery,
                vault_id=self.vault_id,
                user_id=user_id,
                kind="recovery",
                params=self.wrap_params(),
            ),
        )
        fingerprint = audit.key_fingerprint(row.box_public, row.signing_public)
        with self.store.transaction():
            self.store.add_user(row)
            if init:
                event = audit.AuditEvent(
                    actor_id,
                    "init",
                    record=self.vault_id,
                    blob_sha256=crypto.sha256(self.break_glass_public).hex(),
                )
                self.store.append_audit(event.builder(actor_keys.signing.sign))
            event = audit.AuditEvent(actor_id, "user_add", record=user_id, blob_sha256=fingerprint)
            self.store.append_audit(event.builder(actor_keys.signing.sign))
        return recovery


def _kdf_fields(text: str) -> dict[str, int]:
    try:
        m, t, p = (int(x) for x in text.split(","))
    except ValueError as exc:
        raise VaultNotFound("vault metadata is damaged (KDF parameters)") from exc
    return {"memory_kib": m, "iterations": t, "lanes": p}


def _missing(name: str) -> UserRow:
    raise UnknownUser(f"user {name!r} vanished while being created")
