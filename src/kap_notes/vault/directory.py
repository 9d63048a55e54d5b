"""A user's sealed patient list: the profiles they last decrypted, so that the first patient list
after unlock costs one decryption, not one key unwrap and one record per patient.

Kept in ``meta`` as ``patient_list:<user id>``, sealed (AES-256-GCM) under a key only the
user's private keys derive, bound to the vault and the user. Each entry keeps the version and
the SHA-256 of the stored blob it was decrypted from; an entry is used only while the verified
log still names exactly that blob as the profile's current version, and only for a patient the
log lets the user read now. A database writer can drop the list or put back an older one of the
same user's (then profiles are decrypted again), never forge or swap one. A revocation or
shredding empties the lists it concerns (:meth:`~.store.Store.forget_patient_lists`).
"""

from __future__ import annotations

import base64
import binascii
import gc
import json
import zlib
from collections.abc import Iterable
from typing import Any

from kap_notes.vault import crypto
from kap_notes.vault.crypto import KeyPair, OpenError
from kap_notes.vault.policy import Policy
from kap_notes.vault.store import Store

PREFIX = "patient_list:"
#: patient id -> [profile version, sha256 hex of its blob, epoch, decrypted content]
Entries = dict[str, list[Any]]


def _key(key_pair: KeyPair, vault_id: str) -> bytes:
    return crypto.subkey(key_pair, b"kap-notes patient list v1\x00" + vault_id.encode())


def read(store: Store, vault_id: str, key_pair: KeyPair, user_id: str) -> Entries:
    """This user's sealed list (empty if missing, emptied or not theirs)."""
    text = store.get_meta(PREFIX + user_id)
    if not text:
        return {}
    collecting = gc.isenabled()
    gc.disable()  # thousands of new lists and dicts: the collector would run many times over
    try:
        sealed = binascii.a2b_base64(text)
        raw = crypto.open_secret(_key(key_pair, vault_id), sealed, _aad(vault_id, user_id))
        entries = json.loads(zlib.decompress(raw))
    except (OpenError, ValueError, TypeError, zlib.error, binascii.Error):
        return {}
    finally:
        if collecting:
            gc.enable()
    return entries if isinstance(entries, dict) else {}


def write(store: Store, vault_id: str, key_pair: KeyPair, user_id: str, entries: Entries) -> None:
    """*tx* — keep ``entries`` as this user's list."""
    raw = zlib.compress(json.dumps(entries, separators=(",", ":")).encode("utf-8"), 1)
    sealed = crypto.seal_secret(_key(key_pair, vault_id), raw, _aad(vault_id, user_id))
    store.set_meta(PREFIX + user_id, base64.b64encode(sealed).decode("ascii"))


def current(policy: Policy, wanted: Iterable[str], entries: Entries) -> tuple[Entries, list[str]]:
    """The entries still current by the verified log, and the patients to decrypt again."""
    kept: Entries = {}
    missing = []
    for pid in wanted:
        entry = entries.get(pid)
        head = policy.records.head(pid, pid)
        if entry is not None and head is not None and (entry[0], entry[1]) == head:
            kept[pid] = entry
        else:
            missing.append(pid)
    return kept, missing


def _aad(vault_id: str, user_id: str) -> bytes:
    return crypto.canonical_json(["kap-notes patient list", vault_id, user_id])
