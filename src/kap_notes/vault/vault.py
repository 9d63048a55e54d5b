"""Creating, opening and unlocking a vault. Unlocking yields a :class:`~.session.Session`.

Unlocking trusts no table: the user's keys open their key wrap (AEAD, bound to the vault and the
user), then the policy is replayed from signed entries (:mod:`.trust`) and the user's public keys,
role and every record head are checked against it before anything is read.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from kap_notes.model.people import Role
from kap_notes.vault import access, attempts, audit, backends, crypto, keys, trust
from kap_notes.vault.crypto import DEFAULT_KDF, MINIMUM_KDF, KdfParams, KeyPair
from kap_notes.vault.errors import (
    IntegrityError,
    UnknownUser,
    VaultNotFound,
    WeakKdfParameters,
    WrongPassphrase,
)
from kap_notes.vault.ids import new_id
from kap_notes.vault.policy import Policy, Unauthorised, vault_id_for
from kap_notes.vault.session import Session, wrap_user_keys
from kap_notes.vault.store import AuditRow, Store, UserRow

FORMAT = "kap-vault-2"
#: One answer for an unknown name and a wrong passphrase (no user-name enumeration).
WRONG_NAME_OR_PASSPHRASE = "wrong user name or passphrase"  # noqa: S105 - a message
#: Vaults made by release 1: readable again after ``kap-notes vault upgrade`` (see .upgrade).
LEGACY_FORMAT = "kap-vault-1"


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
        self.requested_floor = kdf_floor
        vault_id = store.get_meta("vault_id")
        self.format = store.get_meta("format")
        if vault_id is None or self.format not in (FORMAT, LEGACY_FORMAT):
            raise VaultNotFound(f"{location} is not a kap-notes vault")
        self.vault_id = vault_id
        self._genesis: Policy | None = None
        #: Wrong passphrases for the last user unlocked here, since their previous unlock.
        self.failed_attempts = 0

    # ---------------------------------------------------------------------------- lifecycle
    @classmethod
    def open(cls, location: str | os.PathLike[str], *, kdf_floor: KdfParams = MINIMUM_KDF) -> Vault:
        """Open an existing vault (no keys yet).

        ``kdf_floor`` is honoured only for a vault created as a demo vault (signed at init):
        every other vault keeps the floor it was created with, and never less than the minimum.
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
        """Create a vault with its first admin. Returns codes to show exactly once.

        A floor below the minimum makes a *demo* vault, and says so in the signed first entry.
        """
        if not kdf.at_least(kdf_floor):
            raise WeakKdfParameters("these key-derivation parameters are below the minimum")
        store = backends.open_store(location, create=True)
        admin_keys, break_glass = KeyPair.generate(), KeyPair.generate()
        nonce = crypto.random_bytes(16)
        vault_id = vault_id_for(nonce, admin_keys.signing_public)
        admin_id = new_id("user")
        bg_digest = crypto.sha256(break_glass.box_public).hex()
        init_data = {
            "vault": vault_id,
            "nonce": nonce.hex(),
            "genesis_signing": admin_keys.signing_public.hex(),
            "kdf": kdf.as_dict(),
            "kdf_floor": kdf_floor.as_dict(),
            "demo": not kdf_floor.at_least(MINIMUM_KDF),
            "break_glass": bg_digest,
        }
        with store.transaction():
            store.set_meta("format", FORMAT)
            store.set_meta("vault_id", vault_id)
            store.set_meta("kdf", f"{kdf.memory_kib},{kdf.iterations},{kdf.lanes}")
            store.set_meta("break_glass_public", break_glass.box_public.hex())
            event = audit.AuditEvent(
                admin_id, "init", record=vault_id, blob_sha256=bg_digest, data=init_data
            )
            store.append_audit(event.builder(admin_keys.signing.sign))
        vault = cls(store, backends.describe(location), kdf_floor=kdf_floor)
        row, recovery = vault.new_user_row(
            admin_id, admin_name, Role.ADMIN, admin_keys, admin_passphrase
        )
        with store.transaction():
            store.add_user(row)
            event = audit.AuditEvent(
                admin_id, "user_add", record=admin_id, data=trust.user_add_data(row)
            )
            store.append_audit(event.builder(admin_keys.signing.sign))
        session = vault._start_session(row, admin_keys)
        raw_private = break_glass.private_bytes()[: crypto.KEY_BYTES]
        return Created(vault, session, keys.break_glass_code(raw_private), recovery)

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------------- signed parameters
    def genesis(self) -> Policy:
        """The policy after entry 1 alone: the vault's signed KDF settings and demo flag."""
        if self._genesis is None:
            self._require_current_format()
            first: AuditRow | None = next(iter(self.store.audit_rows()), None)
            policy = Policy(self.vault_id)
            try:
                if first is None:
                    raise Unauthorised(1, "init", "?", "the audit log is empty")
                if b'"data"' in first.entry:
                    policy.apply(first)
                else:  # upgraded from release 1: the signed snapshot carries the settings
                    policy = trust.snapshot_policy(
                        self.vault_id,
                        first.actor,
                        self.store.find_audit("user_add", first.actor),
                        self.store.find_audit("policy_snapshot", self.vault_id),
                    )
            except Unauthorised as exc:
                raise IntegrityError(f"vault integrity check failed: {exc}") from exc
            self._genesis = policy
        return self._genesis

    @property
    def kdf_floor(self) -> KdfParams:
        """The weakest key derivation accepted: the floor signed at init, or the caller's, if
        that is stronger. Only a vault created as a demo vault has a floor below the minimum."""
        genesis = self.genesis()
        signed = KdfParams.from_dict(genesis.kdf_floor)
        if not genesis.demo:
            signed = _stronger(signed, MINIMUM_KDF)
        return _stronger(signed, self.requested_floor)

    def wrap_params(self) -> KdfParams:
        """KDF parameters for new wraps: those signed at init, never below the floor."""
        params = KdfParams.from_dict(self.genesis().kdf)
        if not params.at_least(self.kdf_floor):
            raise WeakKdfParameters("the vault's key-derivation settings are below the minimum")
        return params

    def break_glass_public(self, policy: Policy) -> bytes:
        """The break-glass public key, checked against the one signed at init."""
        public = bytes.fromhex(self.store.get_meta("break_glass_public") or "")
        if crypto.sha256(public).hex() != policy.break_glass_key:
            raise IntegrityError("the stored break-glass key differs from the one signed at init")
        return public

    def _require_current_format(self) -> None:
        if self.format == LEGACY_FORMAT:
            raise VaultNotFound(
                f"{self.location} was made by an earlier release of kap-notes: the admin who "
                "created it runs `kap-notes vault upgrade` once, then everyone can unlock again"
            )

    # ---------------------------------------------------------------------------- unlocking
    def unlock(self, name: str, passphrase: str) -> Session:
        """Unlock ``name``'s keys, then verify the policy and record heads before any read.

        An unknown name costs the same key derivation as a wrong passphrase and gets the same
        answer; failures are counted per user and slow further attempts down (:mod:`.attempts`).
        """
        user = self._user_row(name)
        key_pair = self._unwrap(user, passphrase, kind="passphrase")
        return self._start_session(user, key_pair)

    def recover(self, name: str, recovery_code: str, new_passphrase: str) -> tuple[Session, str]:
        """Unlock with the one-time recovery code, set a new passphrase, issue a new code."""
        user = self._user_row(name)
        if user.recovery_wrap is None:
            raise WrongPassphrase(f"{name} has no recovery code left; ask an admin")
        key_pair = self._unwrap(user, keys.normalise_code(recovery_code), kind="recovery")
        session = self._start_session(user, key_pair)
        new_code = session.change_passphrase(new_passphrase, action="recover")
        return session, new_code

    def _user_row(self, name: str) -> UserRow:
        """The stored row (only its key wrap is used before the policy confirms the rest)."""
        self._require_current_format()
        user = self.store.get_user_by_name(name)
        if user is None:
            keys.decoy_unwrap(self.wrap_params())
            raise WrongPassphrase(WRONG_NAME_OR_PASSPHRASE)
        return user

    def _unwrap(self, user: UserRow, secret: str, *, kind: keys.WrapKind) -> KeyPair:
        """Open a user's key wrap, counting failures (outside any transaction)."""
        attempts.check_allowed(self.store, user.user_id, name=user.name)
        wrap = user.key_wrap if kind == "passphrase" else (user.recovery_wrap or "")
        try:
            key_pair = keys.unwrap_keys(
                wrap,
                secret,
                vault_id=self.vault_id,
                user_id=user.user_id,
                kind=kind,
                floor=self.kdf_floor,
            )
        except WrongPassphrase:
            attempts.record_failure(self.store, user.user_id)
            if kind == "passphrase":
                raise WrongPassphrase(WRONG_NAME_OR_PASSPHRASE) from None
            raise
        self.failed_attempts = attempts.record_success(self.store, user.user_id)
        return key_pair

    def load_policy(self, key_pair: KeyPair, user_id: str) -> tuple[Policy, bool]:
        """The verified policy for this user, and whether their checkpoint should be rewritten
        (raises :class:`IntegrityError` naming the first unauthorised entry)."""
        try:
            return trust.load(self.store, self.vault_id, key_pair, user_id)
        except Unauthorised as exc:
            raise IntegrityError(f"vault integrity check failed: {exc}") from exc

    def _start_session(self, user: UserRow, key_pair: KeyPair) -> Session:
        with self.store.snapshot():
            try:
                policy, stale_checkpoint, since = trust.load_since(
                    self.store, self.vault_id, key_pair, user.user_id
                )
            except Unauthorised as exc:
                raise IntegrityError(f"vault integrity check failed: {exc}") from exc
            problems = trust.heads_since(self.store, policy, since)
        fact = policy.users.get(user.user_id)
        if fact is None or not fact.active:
            raise UnknownUser(f"no user named {user.name!r} in this vault")
        if (fact.box, fact.signing) != (key_pair.box_public.hex(), key_pair.signing_public.hex()):
            raise IntegrityError(
                f"{fact.name}'s keys differ from those signed when they were added"
            )
        if problems:
            raise IntegrityError("vault integrity check failed: " + "; ".join(problems[:3]))
        confirmed = dataclasses.replace(user, name=fact.name, role=fact.role)
        session = Session(self, confirmed, key_pair, policy)
        with session.writing():
            session.audit("unlock")
            if stale_checkpoint:
                trust.write_cache(self.store, session.policy, key_pair, user.user_id)
        access.after_unlock(session)
        return session

    # -------------------------------------------------------------------------------- users
    def user(self, name: str, policy: Policy) -> tuple[str, str]:
        """``(user id, role)`` of an active user named ``name``, by the signed log."""
        found = policy.user_named(name)
        if found is None or not found[1].active:
            raise UnknownUser(f"no user named {name!r} in this vault")
        return found[0], found[1].role

    def new_user_row(
        self, user_id: str, name: str, role: Role, key_pair: KeyPair, passphrase: str
    ) -> tuple[UserRow, str]:
        """A user's row (keys wrapped by passphrase and by a new recovery code), and the code."""
        recovery = keys.new_code()
        params = self.wrap_params()
        key_wrap, recovery_wrap = wrap_user_keys(
            key_pair, passphrase, recovery, vault_id=self.vault_id, user_id=user_id, params=params
        )
        row = UserRow(
            user_id=user_id,
            name=name,
            role=role.value,
            box_public=key_pair.box_public,
            signing_public=key_pair.signing_public,
            key_wrap=key_wrap,
            recovery_wrap=recovery_wrap,
        )
        return row, recovery


def _stronger(a: KdfParams, b: KdfParams) -> KdfParams:
    return KdfParams(
        memory_kib=max(a.memory_kib, b.memory_kib),
        iterations=max(a.iterations, b.iterations),
        lanes=max(a.lanes, b.lanes),
    )
