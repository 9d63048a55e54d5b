"""Wrapping a user's private keys under a passphrase or a recovery code, and the one-time codes."""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Literal

from kap_notes.vault import crypto
from kap_notes.vault.crypto import KdfParams, KeyPair, OpenError
from kap_notes.vault.errors import IntegrityError, WeakKdfParameters, WrongPassphrase

WRAP_FORMAT = "kap-keywrap-1"
WrapKind = Literal["passphrase", "recovery"]


def _aad(vault_id: str, user_id: str, kind: WrapKind, params: KdfParams, salt: bytes) -> bytes:
    return crypto.canonical_json(
        {
            "fmt": WRAP_FORMAT,
            "vault": vault_id,
            "user": user_id,
            "kind": kind,
            "kdf": params.as_dict(),
            "salt": salt.hex(),
        }
    )


def wrap_keys(
    keys: KeyPair, secret: str, *, vault_id: str, user_id: str, kind: WrapKind, params: KdfParams
) -> str:
    """Seal ``keys`` under ``secret``; the KDF parameters are stored and authenticated."""
    salt = crypto.random_bytes(16)
    kek = crypto.derive_kek(secret.encode("utf-8"), salt, params)
    sealed = crypto.seal_secret(
        kek, keys.private_bytes(), _aad(vault_id, user_id, kind, params, salt)
    )
    return json.dumps(
        {"fmt": WRAP_FORMAT, "kdf": params.as_dict(), "salt": salt.hex(), "sealed": sealed.hex()}
    )


def unwrap_keys(
    wrap: str,
    secret: str,
    *,
    vault_id: str,
    user_id: str,
    kind: WrapKind,
    floor: KdfParams,
) -> KeyPair:
    """Open a wrap. Raises :class:`WeakKdfParameters` (below ``floor``), :class:`IntegrityError`
    (beyond :data:`~.crypto.MAXIMUM_KDF`), :class:`WrongPassphrase`, or
    :class:`~.errors.UnlockBusy` when another derivation holds the process's KDF gate."""
    try:
        fields = json.loads(wrap)
        params = KdfParams.from_dict(fields["kdf"])
        salt = bytes.fromhex(fields["salt"])
        sealed = bytes.fromhex(fields["sealed"])
    except (ValueError, KeyError, TypeError, OpenError) as exc:
        raise WrongPassphrase("the stored key wrap is damaged") from exc
    if not params.at_most(crypto.MAXIMUM_KDF):
        raise IntegrityError(
            f"the stored key wrap is damaged: its key-derivation parameters ({params.describe()}) "
            "are beyond any this software creates; ask an admin to check the vault"
        )
    if not params.at_least(floor):
        raise WeakKdfParameters(
            f"stored key-derivation parameters ({params.describe()}) are below the minimum "
            f"({floor.describe()}); refusing to unlock — the vault may have been tampered with"
        )
    kek = crypto.derive_kek(secret.encode("utf-8"), salt, params)
    try:
        raw = crypto.open_secret(kek, sealed, _aad(vault_id, user_id, kind, params, salt))
        return KeyPair.from_private_bytes(raw)
    except OpenError as exc:
        what = "recovery code" if kind == "recovery" else "passphrase"
        raise WrongPassphrase(f"wrong {what} for this user") from exc


def decoy_unwrap(params: KdfParams) -> None:
    """Spend what :func:`unwrap_keys` spends at ``params``, for a user name that does not exist,
    so that unknown and known names take the same time. Derives from random bytes (through the
    same per-process gate, so it can raise :class:`UnlockBusy`) and discards the result."""
    salt = crypto.random_bytes(16)
    kek = crypto.derive_kek(crypto.random_bytes(16), salt, params)
    with contextlib.suppress(OpenError):
        crypto.open_secret(kek, crypto.random_bytes(12 + 2 * crypto.KEY_BYTES + 16), salt)


def new_code(n_bytes: int = 20) -> str:
    """A human-typable one-time code: base32 in groups of four."""
    text = base64.b32encode(crypto.random_bytes(n_bytes)).decode("ascii").rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def normalise_code(code: str) -> str:
    """Accept a code typed with any case, spaces or dashes."""
    text = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def break_glass_code(private: bytes) -> str:
    """The printed form of the break-glass private key."""
    text = base64.b32encode(private).decode("ascii").rstrip("=")
    return "BG-" + "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def break_glass_private(code: str) -> bytes:
    """Parse a printed break-glass code back to the 32-byte private key."""
    text = "".join(ch for ch in code.upper().removeprefix("BG-") if ch.isalnum())
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except ValueError as exc:
        raise WrongPassphrase("that is not a break-glass code") from exc
    if len(raw) != crypto.KEY_BYTES:
        raise WrongPassphrase("that is not a break-glass code")
    return raw
