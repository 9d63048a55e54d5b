"""Every cryptographic recipe kap-notes uses. The only module that imports ``cryptography``.

Recipes, not primitives (like ``cryptography.fernet``):

- :func:`derive_kek` — passphrase → key-encryption key with Argon2id; the parameters travel
  with the wrap and are authenticated as associated data; one derivation at a time per process
  (:mod:`kap_notes.vault.kdf_gate`).
- :func:`seal_secret` / :func:`open_secret` — AES-256-GCM with a random nonce under a key.
- :func:`seal_to` / :func:`open_from` — a 32-byte key wrapped to an X25519 recipient with HPKE
  (RFC 9180 base mode, X25519 / HKDF-SHA256 / AES-256-GCM); the context is bound as ``info``.
- :func:`seal_record` / :func:`open_record` — one encrypted record: a fresh key per write derived
  with HKDF from the patient key and a random salt, a key commitment, the header as associated
  data, and plaintext padded to a size bucket (:func:`padded_length`) so that a record's size
  does not tell which form it holds.
- :func:`sign` / :func:`verify` — Ed25519.

Every failure to open anything raises :class:`OpenError` with one fixed message, whatever the
cause.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hpke, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kap_notes.vault import kdf_gate
from kap_notes.vault.errors import UnlockBusy

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

RECORD_MAGIC = b"KAP1"
RECORD_FORMAT = "kap-record-1"
#: Every padded plaintext is a multiple of this (records sealed before buckets were too).
PAD_BLOCK = 256
#: The smallest bucket. Every note of ordinary length (the demo clinic's longest is 3.4 KiB) pads
#: to exactly this, so notes of every form, profiles, reviews and addenda all look alike.
PAD_MINIMUM = 8 * 1024
KEY_BYTES = 32
_NONCE_BYTES = 12
_SALT_BYTES = 32
_HPKE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_RAW = serialization.Encoding.Raw


class OpenError(Exception):
    """Something could not be opened. Deliberately says nothing about why."""

    def __init__(self) -> None:
        super().__init__("the data could not be opened (wrong key, or it was altered)")


def canonical_json(value: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, UTF-8, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def random_bytes(n: int) -> bytes:
    """``n`` bytes from the operating system's CSPRNG."""
    return os.urandom(n)


def sha256(data: bytes) -> bytes:
    """SHA-256 digest."""
    return hashlib.sha256(data).digest()


# ---------------------------------------------------------------------------------------- KDF


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost parameters. ``memory_kib`` in KiB."""

    memory_kib: int = 256 * 1024
    iterations: int = 3
    lanes: int = 4

    def as_dict(self) -> dict[str, int | str]:
        return {"alg": "argon2id", "m": self.memory_kib, "t": self.iterations, "p": self.lanes}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KdfParams:
        if data.get("alg") != "argon2id":
            raise OpenError
        return cls(memory_kib=int(data["m"]), iterations=int(data["t"]), lanes=int(data["p"]))

    def at_least(self, floor: KdfParams) -> bool:
        """True if every cost (memory, iterations and lanes) is at or above ``floor``'s."""
        return (
            self.memory_kib >= floor.memory_kib
            and self.iterations >= floor.iterations
            and self.lanes >= floor.lanes
        )

    def at_most(self, ceiling: KdfParams) -> bool:
        """True if every cost is at or below ``ceiling``'s."""
        return (
            self.memory_kib <= ceiling.memory_kib
            and self.iterations <= ceiling.iterations
            and self.lanes <= ceiling.lanes
        )

    def describe(self) -> str:
        """``m=… KiB, t=…, p=…`` for messages."""
        return f"m={self.memory_kib} KiB, t={self.iterations}, p={self.lanes}"


DEFAULT_KDF = KdfParams()
MINIMUM_KDF = KdfParams(memory_kib=64 * 1024, iterations=3, lanes=1)
#: For tests and demos only, and only when asked for explicitly.
FAST_KDF = KdfParams(memory_kib=8 * 1024, iterations=1, lanes=1)
#: Stored parameters above these are refused unread: a database writer must not be able to make
#: an unlock allocate terabytes or spin for hours.
MAXIMUM_KDF = KdfParams(memory_kib=4 * 1024 * 1024, iterations=64, lanes=64)


def derive_kek(secret: bytes, salt: bytes, params: KdfParams) -> bytes:
    """Derive a 32-byte key-encryption key from a passphrase or recovery code.

    One derivation at a time per process (:mod:`.kdf_gate`): raises :class:`UnlockBusy` when
    another one is still running after a short wait, or when memory for it is short.
    """
    with kdf_gate.slot():
        try:
            return _argon2id(secret, salt, params)
        except MemoryError as exc:
            raise UnlockBusy(
                "There is not enough free memory to unlock right now; try again in a few seconds",
                retry_after_seconds=kdf_gate.RETRY_AFTER_SECONDS,
            ) from exc


def _argon2id(secret: bytes, salt: bytes, params: KdfParams) -> bytes:
    """The raw Argon2id primitive (version 1.3), ungated. Only :func:`derive_kek` and the KDF
    benchmark call it: concurrent calls can deadlock OpenSSL's shared thread pool."""
    kdf = Argon2id(
        salt=salt,
        length=KEY_BYTES,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return kdf.derive(secret)


# ------------------------------------------------------------------------------------ AEAD


def seal_secret(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM: ``nonce || ciphertext``."""
    nonce = random_bytes(_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_secret(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Inverse of :func:`seal_secret`; raises :class:`OpenError`."""
    try:
        return AESGCM(key).decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], aad)
    except (InvalidTag, ValueError) as exc:
        raise OpenError from exc


# ------------------------------------------------------------------------------- key pairs


@dataclass(frozen=True)
class KeyPair:
    """A user's (or the break-glass) private keys, in memory only."""

    box: X25519PrivateKey
    signing: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(X25519PrivateKey.generate(), Ed25519PrivateKey.generate())

    def private_bytes(self) -> bytes:
        raw = serialization.PrivateFormat.Raw
        none = serialization.NoEncryption()
        return self.box.private_bytes(_RAW, raw, none) + self.signing.private_bytes(_RAW, raw, none)

    @classmethod
    def from_private_bytes(cls, data: bytes) -> KeyPair:
        if len(data) != 2 * KEY_BYTES:
            raise OpenError
        return cls(
            X25519PrivateKey.from_private_bytes(data[:KEY_BYTES]),
            Ed25519PrivateKey.from_private_bytes(data[KEY_BYTES:]),
        )

    @property
    def box_public(self) -> bytes:
        return public_bytes(self.box.public_key())

    @property
    def signing_public(self) -> bytes:
        return public_bytes(self.signing.public_key())


def public_bytes(key: X25519PublicKey | Ed25519PublicKey) -> bytes:
    """Raw 32-byte public key."""
    return key.public_bytes(_RAW, serialization.PublicFormat.Raw)


def box_key_from_private(data: bytes) -> X25519PrivateKey:
    """An X25519 private key from 32 raw bytes (the break-glass code)."""
    if len(data) != KEY_BYTES:
        raise OpenError
    return X25519PrivateKey.from_private_bytes(data)


# ------------------------------------------------------------------------ wraps to recipients


def seal_to(recipient_public: bytes, secret: bytes, context: bytes) -> bytes:
    """Wrap ``secret`` to an X25519 public key with HPKE; ``context`` is bound as ``info``."""
    return _HPKE.encrypt(secret, X25519PublicKey.from_public_bytes(recipient_public), info=context)


def open_from(private: X25519PrivateKey, sealed: bytes, context: bytes) -> bytes:
    """Inverse of :func:`seal_to`; raises :class:`OpenError`."""
    try:
        return _HPKE.decrypt(sealed, private, info=context)
    except Exception as exc:  # any HPKE failure is the same opaque failure
        raise OpenError from exc


# ------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class RecordHeader:
    """The plaintext, authenticated part of a record. Ids only: never PHI."""

    vault: str
    patient: str
    record: str
    version: int
    epoch: int
    salt: bytes
    nonce: bytes
    commitment: bytes

    def encode(self) -> bytes:
        return canonical_json(
            {
                "fmt": RECORD_FORMAT,
                "vault": self.vault,
                "patient": self.patient,
                "record": self.record,
                "version": self.version,
                "epoch": self.epoch,
                "salt": self.salt.hex(),
                "nonce": self.nonce.hex(),
                "commit": self.commitment.hex(),
            }
        )

    @classmethod
    def decode(cls, data: bytes) -> RecordHeader:
        fields = json.loads(data)
        if fields.pop("fmt") != RECORD_FORMAT:
            raise ValueError("format")
        return cls(
            vault=str(fields["vault"]),
            patient=str(fields["patient"]),
            record=str(fields["record"]),
            version=int(fields["version"]),
            epoch=int(fields["epoch"]),
            salt=bytes.fromhex(fields["salt"]),
            nonce=bytes.fromhex(fields["nonce"]),
            commitment=bytes.fromhex(fields["commit"]),
        )


def _record_keys(patient_key: bytes, header: RecordHeader) -> tuple[bytes, bytes]:
    info = canonical_json(
        ["kap-notes record key", header.vault, header.patient, header.record, header.version]
    ) + struct.pack(">Q", header.epoch)
    okm = HKDF(algorithm=hashes.SHA256(), length=2 * KEY_BYTES, salt=header.salt, info=info).derive(
        patient_key
    )
    return okm[:KEY_BYTES], okm[KEY_BYTES:]


def padded_length(length: int) -> int:
    """The bucket that ``length`` bytes of plaintext pad to (room for the 0x80 marker included).

    At least :data:`PAD_MINIMUM`; above it Padmé (Nikitin et al., "Reducing metadata leakage
    from encrypted files and communication with PURBs", PETS 2019): a length whose top bit is
    bit E keeps only its top ⌊log2 E⌋ + 1 bits and the rest are rounded up, which costs at most
    12% and shows only O(log log n) bits of the length. Then up to a multiple of PAD_BLOCK.
    """
    n = max(length + 1, PAD_MINIMUM)
    e = n.bit_length() - 1
    mask = (1 << (e - e.bit_length())) - 1
    n = (n + mask) & ~mask
    return -(-n // PAD_BLOCK) * PAD_BLOCK


def pad(data: bytes) -> bytes:
    """ISO/IEC 7816-4 padding (0x80 then zeros) up to :func:`padded_length`."""
    padded = data + b"\x80"
    return padded + b"\x00" * (padded_length(len(data)) - len(padded))


def unpad(data: bytes) -> bytes:
    """Inverse of :func:`pad`; raises :class:`OpenError` on malformed padding.

    Independent of the bucket rule, so records sealed under the earlier one (plain multiples
    of 256 bytes) open too.
    """
    end = data.rfind(b"\x80")  # memrchr: ~10x faster than stripping the zeros byte by byte
    zeros = len(data) - end - 1
    if end < 0 or len(data) % PAD_BLOCK or data[end + 1 :] != bytes(zeros):
        raise OpenError
    return data[:end]


def seal_record(
    patient_key: bytes,
    *,
    vault: str,
    patient: str,
    record: str,
    version: int,
    epoch: int,
    content: Any,
    salt: bytes | None = None,
    nonce: bytes | None = None,
) -> bytes:
    """Encrypt one record version. ``salt``/``nonce`` only for known-answer tests."""
    salt = salt if salt is not None else random_bytes(_SALT_BYTES)
    nonce = nonce if nonce is not None else random_bytes(_NONCE_BYTES)
    draft = RecordHeader(vault, patient, record, version, epoch, salt, nonce, b"")
    enc_key, commitment = _record_keys(patient_key, draft)
    header = RecordHeader(vault, patient, record, version, epoch, salt, nonce, commitment)
    header_bytes = header.encode()
    ciphertext = AESGCM(enc_key).encrypt(nonce, pad(canonical_json(content)), header_bytes)
    return RECORD_MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes + ciphertext


def read_record_header(blob: bytes) -> RecordHeader:
    """Parse a record's header without decrypting; raises :class:`OpenError`."""
    return _split_record(blob)[0]


def _split_record(blob: bytes) -> tuple[RecordHeader, bytes, bytes]:
    try:
        if blob[:4] != RECORD_MAGIC:
            raise ValueError("magic")
        (length,) = struct.unpack(">I", blob[4:8])
        header_bytes = blob[8 : 8 + length]
        if len(header_bytes) != length:
            raise ValueError("short")
        header = RecordHeader.decode(header_bytes)
        if header.encode() != header_bytes:
            raise ValueError("non-canonical header")
    except (ValueError, KeyError, TypeError, struct.error) as exc:
        raise OpenError from exc
    return header, header_bytes, blob[8 + length :]


def open_record(
    patient_key: bytes | Callable[[int], bytes],
    blob: bytes,
    *,
    vault: str,
    patient: str,
    record: str,
    version: int | None = None,
) -> tuple[RecordHeader, Any]:
    """Decrypt one record, checking it belongs where it was found. Raises :class:`OpenError`.

    ``patient_key`` may be a function of the record's epoch (the header is parsed once)."""
    header, header_bytes, ciphertext = _split_record(blob)
    if callable(patient_key):
        patient_key = patient_key(header.epoch)
    expected = (vault, patient, record)
    if (header.vault, header.patient, header.record) != expected:
        raise OpenError
    if version is not None and header.version != version:
        raise OpenError
    enc_key, commitment = _record_keys(patient_key, header)
    if not hmac.compare_digest(commitment, header.commitment):
        raise OpenError
    try:
        plaintext = AESGCM(enc_key).decrypt(header.nonce, ciphertext, header_bytes)
        return header, json.loads(unpad(plaintext))
    except (InvalidTag, ValueError) as exc:
        raise OpenError from exc


def key_commitment(key: bytes, context: bytes) -> str:
    """A public commitment to a secret 32-byte key (hex): a swapped key is caught before use."""
    return hmac.new(key, b"kap-notes key commitment\x00" + context, hashlib.sha256).hexdigest()


def subkey(key_pair: KeyPair, label: bytes) -> bytes:
    """A 32-byte key only the holder of ``key_pair`` can derive (e.g. for a private cache)."""
    raw = key_pair.private_bytes()
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=label).derive(raw)


# ---------------------------------------------------------------------------- signatures


def sign(key: Ed25519PrivateKey, message: bytes) -> bytes:
    """Ed25519 signature."""
    return key.sign(message)


#: Digests of (key, signature, message) triples already found valid in this process: reading a
#: patient again (My day, the queue, a refresh) re-checks the same signatures. A hit needs a
#: BLAKE2b-256 second preimage, so it vouches for exactly the triple that was verified.
_VERIFIED: set[bytes] = set()
_VERIFIED_LIMIT = 200_000


def _triple_digest(public: bytes, signature: bytes, message: bytes) -> bytes:
    triple = hashlib.blake2b(digest_size=32)
    for part in (public, signature, message):
        triple.update(struct.pack(">Q", len(part)))
        triple.update(part)
    return triple.digest()


def _verify_and_remember(seen: bytes, public: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    if len(_VERIFIED) >= _VERIFIED_LIMIT:
        _VERIFIED.clear()
    _VERIFIED.add(seen)
    return True


def verify(public: bytes, signature: bytes, message: bytes) -> bool:
    """True if ``signature`` is ``public``'s Ed25519 signature over ``message``."""
    seen = _triple_digest(public, signature, message)
    return seen in _VERIFIED or _verify_and_remember(seen, public, signature, message)


#: Fewer unseen signatures than this are checked in line (a thread hand-off costs more).
PARALLEL_VERIFY_MIN = 16
VERIFY_WORKERS = max(1, min(os.cpu_count() or 1, 8))
_VERIFY_POOL: list[ThreadPoolExecutor] = []  # one pool a process, made when first needed
_VERIFY_POOL_LOCK = threading.Lock()


def _verify_pool() -> ThreadPoolExecutor:
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 - not on start-up's path

    with _VERIFY_POOL_LOCK:
        if not _VERIFY_POOL:
            _VERIFY_POOL.append(ThreadPoolExecutor(VERIFY_WORKERS, thread_name_prefix="kap-verify"))
        return _VERIFY_POOL[0]


def verify_all(triples: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """:func:`verify` of each ``(public, signature, message)``. Signatures not seen before are
    checked by a pool of threads when there are enough of them: pyca's Ed25519 releases the
    GIL, so on 2 cores a patient's first read after start-up checks its notes ~2x faster, and
    the caller waiting on the pool holds no GIL the workers need."""
    seen = [_triple_digest(*triple) for triple in triples]
    results = [digest in _VERIFIED for digest in seen]
    unseen = [i for i, ok in enumerate(results) if not ok]
    if len(unseen) < PARALLEL_VERIFY_MIN:
        for i in unseen:
            results[i] = _verify_and_remember(seen[i], *triples[i])
        return results
    pool = _verify_pool()
    chunks = [unseen[k::VERIFY_WORKERS] for k in range(VERIFY_WORKERS)]

    def check(indices: list[int]) -> list[bool]:
        return [_verify_and_remember(seen[i], *triples[i]) for i in indices]

    for indices, verdicts in zip(chunks, pool.map(check, chunks), strict=True):
        for i, ok in zip(indices, verdicts, strict=True):
            results[i] = ok
    return results


def verifier(public: bytes) -> Callable[[bytes, bytes], bool]:
    """``check(signature, message)`` for one Ed25519 key, loaded once and bypassing the cache
    of :func:`verify` (bulk checks in threads: ``audit verify``)."""
    try:
        key = Ed25519PublicKey.from_public_bytes(public)
    except ValueError:
        return lambda signature, message: False

    def check(signature: bytes, message: bytes) -> bool:
        try:
            key.verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    return check
