"""The bytes of a user's checkpoint of the verified policy (sealed by :mod:`.trust`), laid out so
that unlock decodes only what it reads.

``len ‖ zlib(core JSON) ‖ len ‖ record index ‖ key material``:

- core: the policy without its patients or record facts, a digest per record space and the
  record index's space ordinals (:mod:`.recordfacts`), and one short row per patient space —
  owner, kind, parent, epoch, readers (user ids interned), break-glass and access requests:
  everything a patient list or an access decision scans;
- key material: per space, its key commitments and wrap digests (raw 32-byte digests when they
  are SHA-256 hex, JSON otherwise), decoded the first time the space's ``commits`` or ``wraps``
  are read (:class:`LazyPatient`), i.e. when its key is used or changed.

All of it is sealed together: the split changes what is decoded when, not what is trusted.
"""

from __future__ import annotations

import gc
import json
import struct
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from kap_notes.vault import recordfacts
from kap_notes.vault.policy import PatientFact, Policy
from kap_notes.vault.store import AuditRow

_HEAVY = ("commits", "wraps")
_BINARY, _JSON = b"B", b"J"


class LazyPatient(PatientFact):
    """A :class:`PatientFact` whose ``commits`` and ``wraps`` are decoded when first read."""

    __slots__ = ("_at",)
    _at: tuple[memoryview, int, int, list[str]]  # its key material in the checkpoint, names

    def __getattr__(self, name: str) -> Any:
        if name not in _HEAVY:
            raise AttributeError(name)
        blob, start, end, names = self._at
        for key, value in zip(_HEAVY, _decode_keys(bytes(blob[start:end]), names), strict=True):
            self.__dict__.setdefault(key, value)  # one already assigned stays
        return self.__dict__[name]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PatientFact):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in PatientFact.__dataclass_fields__)

    __hash__ = None  # type: ignore[assignment]


# ---------------------------------------------------------------------------- encoding
def encode(policy: Policy) -> bytes:
    core = policy.to_dict(records=False, patients=False)
    index, order = recordfacts.index_for(policy.records)
    core["record_spaces"] = recordfacts.commits_for(policy.records, policy.patients)
    core["record_order"] = order
    base = _names_read(policy)
    names = {user: i for i, user in enumerate(base)}  # the old numbers stay valid

    def n(user: str) -> int:
        return names.setdefault(user, len(names))

    rows, heavy = [], []
    for pid, p in policy.patients.items():
        keys = _unread_keys(p, base)
        if keys is None:
            keys = _encode_keys(p.commits, p.wraps, n)
        heavy.append(keys)
        rows.append(
            [
                pid,
                n(p.owner),
                p.kind,
                p.parent,
                p.epoch,
                [n(r) for r in p.readers],
                p.break_glass or 0,
                p.requests or 0,
                len(keys),
            ]
        )
    core["spaces"] = [list(names), rows]
    packed = zlib.compress(json.dumps(core, separators=(",", ":")).encode("utf-8"), 1)
    return b"".join(
        [len(packed).to_bytes(4, "big"), packed, len(index).to_bytes(4, "big"), index, *heavy]
    )


def _names_read(policy: Policy) -> list[str]:
    """The user-name table of the checkpoint ``policy`` was read from (empty if none)."""
    for fact in policy.patients.values():
        if isinstance(fact, LazyPatient):
            return fact._at[3]
    return []


def _unread_keys(fact: PatientFact, base: list[str]) -> bytes | None:
    """A space's key material as read, when nothing has decoded (or changed) it since."""
    if not isinstance(fact, LazyPatient) or not base or fact._at[3] is not base:
        return None
    if any(key in fact.__dict__ for key in _HEAVY):
        return None
    blob, start, end, _ = fact._at
    return bytes(blob[start:end])


def decode(raw: bytes, rows: Callable[[str], Iterable[AuditRow]]) -> Policy:
    """The policy a checkpoint holds (``rows``: a space's audit entries, for its record facts).
    Raises ValueError (or KeyError, TypeError, zlib.error) when malformed. The collector
    waits meanwhile: tens of thousands of new objects would start it many times over."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _decode(raw, rows)
    finally:
        if collecting:
            gc.enable()


def _decode(raw: bytes, rows: Callable[[str], Iterable[AuditRow]]) -> Policy:
    view = memoryview(raw)
    size = int.from_bytes(view[:4], "big")
    core = json.loads(zlib.decompress(view[4 : 4 + size]))
    at = 4 + size
    isize = int.from_bytes(view[at : at + 4], "big")
    index = bytes(view[at + 4 : at + 4 + isize])
    if len(index) != isize or isize % recordfacts.ENTRY:
        raise ValueError("index")
    pos = at + 4 + isize
    names, spaces = core.pop("spaces")
    record_spaces, order = core.pop("record_spaces"), core.pop("record_order")
    policy = Policy.from_dict({**core, "patients": {}})
    patients = policy.patients
    new = LazyPatient.__new__
    for pid, owner, kind, parent, epoch, readers, bg, req, length in spaces:
        fact = new(LazyPatient)
        fact.__dict__.update(
            owner=names[owner],
            kind=kind,
            parent=parent,
            epoch=epoch,
            readers=[names[r] for r in readers],
            break_glass=bg or {},
            requests=req or {},
        )
        fact._at = (view, pos, pos + length, names)
        pos += length
        patients[pid] = fact
    if pos != len(raw):
        raise ValueError("key material")
    lazy = recordfacts.Lazy(policy.seq, index, order, record_spaces)
    lazy.rows = rows
    policy.records = recordfacts.RecordTable(lazy=lazy)
    return policy


# ------------------------------------------------------------------ one space's key material
def _encode_keys(
    commits: dict[int, str], wraps: dict[str, str], name: Callable[[str], int]
) -> bytes:
    """``B`` and, packed, each commitment (epoch, digest) and wrap (epoch, recipient's name
    number, digest); or ``J`` and JSON when something does not fit that."""
    try:
        parts = [struct.pack(">HH", len(commits), len(wraps))]
        for epoch, digest in commits.items():
            parts.append(struct.pack(">I", epoch) + _digest(digest))
        for key, digest in wraps.items():
            epoch_text, recipient = key.split("/", 1)
            if str(int(epoch_text)) != epoch_text:
                raise ValueError(key)
            parts.append(struct.pack(">II", int(epoch_text), name(recipient)) + _digest(digest))
        return _BINARY + b"".join(parts)
    except (ValueError, struct.error):  # not SHA-256 hex: kept as it is
        return _JSON + json.dumps([list(commits.items()), wraps]).encode("utf-8")


def _digest(text: str) -> bytes:
    raw = bytes.fromhex(text)
    if len(raw) != 32 or raw.hex() != text:
        raise ValueError(text)
    return raw


def _decode_keys(data: bytes, names: list[str]) -> tuple[dict[int, str], dict[str, str]]:
    if data[:1] == _JSON:
        items, wraps = json.loads(data[1:])
        return {int(e): str(c) for e, c in items}, dict(wraps)
    if data[:1] != _BINARY:
        raise ValueError("key material")
    n_commits, n_wraps = struct.unpack_from(">HH", data, 1)
    pos, commits, wraps = 5, {}, {}
    for _ in range(n_commits):
        (epoch,) = struct.unpack_from(">I", data, pos)
        commits[epoch] = data[pos + 4 : pos + 36].hex()
        pos += 36
    for _ in range(n_wraps):
        epoch, recipient = struct.unpack_from(">II", data, pos)
        wraps[f"{epoch}/{names[recipient]}"] = data[pos + 8 : pos + 40].hex()
        pos += 40
    if pos != len(data):
        raise ValueError("key material")
    return commits, wraps
