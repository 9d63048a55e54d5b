"""Record facts (author, version digests, sealed) of the verified policy, loaded lazily.

A replay from the genesis entry holds every fact in memory. A user's checkpoint (:mod:`.trust`)
does not carry them: it carries, sealed with the rest of the policy, a sorted index
``hash(record id) -> space`` and per space a digest of that space's facts. A space's facts are
rebuilt from its audit entries up to the checkpoint (indexed by patient) only when something
touches the space, and must hash to the sealed digest: a database writer who edits, drops or
adds an old entry of that patient is caught there (:class:`~kap_notes.errors.IntegrityError`),
and ``audit verify`` catches it in the chain.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass

from kap_notes.vault.audit import WRITE_ACTIONS
from kap_notes.vault.errors import IntegrityError
from kap_notes.vault.store import AuditRow

#: Write actions whose version is signed: the record never takes another version.
SEALING_ACTIONS = frozenset({"sign", "cosign", "return"})
#: Index entry: 12 bytes of SHA-256(record id), then the space's ordinal (4 bytes, big endian).
ENTRY, HASH = 16, 12


@dataclass(slots=True)
class RecordFact:
    """A record's author, the digest of every version, in order, and whether a signed version
    sealed it."""

    patient: str
    author: str
    digests: list[str]
    sealed: bool = False


def rid_hash(record_id: str) -> bytes:
    return hashlib.sha256(record_id.encode("utf-8")).digest()[:HASH]


def space_digest(space: str, facts: Iterable[tuple[str, RecordFact]]) -> str:
    """What a checkpoint commits to for one space: its records' facts, sorted by id."""
    body = sorted([rid, f.author, f.digests, f.sealed] for rid, f in facts)
    return hashlib.sha256(json.dumps([space, body], separators=(",", ":")).encode()).hexdigest()


@dataclass
class Lazy:
    """What a checkpoint says about records it does not carry."""

    seq: int  # the checkpoint's entry: spaces are rebuilt from entries up to it
    index: bytes  # sorted ENTRY-byte entries
    order: list[str]  # space ordinals used by ``index`` (append-only)
    commits: dict[str, list[object]]  # space -> [digest, profile version, profile digest]
    rows: Callable[[str], Iterable[AuditRow]] | None = None  # a space's entries, oldest first

    def lookup(self, record_id: str) -> str | None:
        key = rid_hash(record_id)
        index, n = self.index, len(self.index) // ENTRY
        lo = bisect.bisect_left(range(n), key, key=lambda i: index[i * ENTRY : i * ENTRY + HASH])
        if lo < n and index[lo * ENTRY : lo * ENTRY + HASH] == key:
            return self.order[int.from_bytes(index[lo * ENTRY + HASH : (lo + 1) * ENTRY], "big")]
        return None


class RecordTable(MutableMapping[str, RecordFact]):
    """record id -> :class:`RecordFact`; complete in memory, or backed by a checkpoint."""

    def __init__(self, facts: dict[str, RecordFact] | None = None, lazy: Lazy | None = None):
        self._facts: dict[str, RecordFact] = facts if facts is not None else {}
        self._by_space: dict[str, set[str]] | None = None
        self.lazy = lazy
        self._loaded: set[str] = set()
        self._lock = threading.RLock()
        #: Records added, and spaces shredded, since the checkpoint (its next index follows).
        self.added: set[str] = set()
        self.dropped: set[str] = set()

    # ---------------------------------------------------------------------------- mapping
    def __getitem__(self, record_id: str) -> RecordFact:
        fact = self.get(record_id)
        if fact is None:
            raise KeyError(record_id)
        return fact

    def get(self, record_id: str, default: RecordFact | None = None) -> RecordFact | None:  # type: ignore[override]
        fact = self._facts.get(record_id)
        if fact is None and self.lazy is not None:
            space = self.lazy.lookup(record_id)
            if space is not None and space not in self._loaded and space in self.lazy.commits:
                self.load(space)
                fact = self._facts.get(record_id)
        return default if fact is None else fact

    def __contains__(self, record_id: object) -> bool:
        return isinstance(record_id, str) and self.get(record_id) is not None

    def __setitem__(self, record_id: str, fact: RecordFact) -> None:
        self.load(fact.patient)
        self._facts[record_id] = fact
        self.added.add(record_id)
        if self._by_space is not None:
            self._by_space.setdefault(fact.patient, set()).add(record_id)

    def __delitem__(self, record_id: str) -> None:
        fact = self._facts.pop(record_id)
        self.added.discard(record_id)
        if self._by_space is not None:
            self._by_space.get(fact.patient, set()).discard(record_id)

    def __iter__(self) -> Iterator[str]:
        self.load_all()
        return iter(self._facts)

    def __len__(self) -> int:
        self.load_all()
        return len(self._facts)

    # ----------------------------------------------------------------------------- spaces
    def records_of(self, space: str) -> set[str]:
        """Ids of the records kept in ``space``."""
        self.load(space)
        with self._lock:
            if self._by_space is None:
                index: dict[str, set[str]] = {}
                for rid, fact in self._facts.items():
                    index.setdefault(fact.patient, set()).add(rid)
                self._by_space = index
            return set(self._by_space.get(space, ()))

    def drop_spaces(self, spaces: Iterable[str]) -> None:
        """Forget every record of ``spaces`` (shredded): nothing is rebuilt for them again."""
        spaces = set(spaces)
        self.dropped |= spaces
        for rid in [r for r, f in self._facts.items() if f.patient in spaces]:
            del self[rid]
        if self.lazy is not None:
            for space in spaces:
                self.lazy.commits.pop(space, None)
        self._loaded -= spaces

    def head(self, record_id: str, space: str) -> tuple[int, str] | None:
        """(version, digest) of the current version of a record kept in ``space`` whose id is
        the space's own (a patient's profile), without rebuilding the space."""
        lazy = self.lazy
        if lazy is not None and space not in self._loaded and record_id == space:
            commit = lazy.commits.get(space)
            if commit is None or commit[1] is None:
                return None
            return int(str(commit[1])), str(commit[2])
        fact = self.get(record_id)
        if fact is None or fact.patient != space:
            return None
        return len(fact.digests), fact.digests[-1]

    def loaded_spaces(self) -> set[str]:
        return set(self._loaded)

    def load_all(self) -> None:
        if self.lazy is not None:
            for space in list(self.lazy.commits):
                self.load(space)

    def load(self, space: str) -> None:
        """Rebuild ``space``'s facts from its entries up to the checkpoint, once, and hold them
        against the digest the checkpoint sealed."""
        lazy = self.lazy
        if lazy is None or space in self._loaded:
            return
        with self._lock:  # reads run in parallel (the key holder): one rebuild, seen whole
            if space not in self._loaded:
                self._load(lazy, space)
                self._loaded.add(space)  # only once its facts are all in

    def _load(self, lazy: Lazy, space: str) -> None:
        commit = lazy.commits.get(space)
        if commit is None:
            return  # no records when the checkpoint was made
        if lazy.rows is None:
            raise IntegrityError("a checkpoint's records cannot be rebuilt without the store")
        facts = rebuild(space, lazy.rows(space), lazy.seq)
        if facts is None or space_digest(space, facts.items()) != commit[0]:
            raise IntegrityError(
                f"vault integrity check failed: the audit entries of patient {space} up to entry "
                f"{lazy.seq} differ from those this user verified (edited, deleted or added "
                "behind the checkpoint); tell the clinic admin"
            )
        for rid, fact in facts.items():
            self._facts.setdefault(rid, fact)
            if self._by_space is not None:
                self._by_space.setdefault(space, set()).add(rid)


def rebuild(space: str, rows: Iterable[AuditRow], upto: int) -> dict[str, RecordFact] | None:
    """A space's record facts by its write and prune entries up to ``upto`` (None if they do
    not fit together: nothing else is checked here, the checkpoint's digest decides)."""
    facts: dict[str, RecordFact] = {}
    try:
        for row in rows:
            if row.seq > upto:
                break
            if row.patient != space or (row.action not in WRITE_ACTIONS and row.action != "prune"):
                continue
            fields = json.loads(row.entry)
            rid, version, digest = row.record or "", fields["version"], fields["blob_sha256"]
            if row.action == "prune":
                fact = facts[rid]
                fact.digests[:-1] = [""] * (len(fact.digests) - 1)
            elif version == 1:
                facts[rid] = RecordFact(space, row.actor, [digest], row.action in SEALING_ACTIONS)
            else:
                facts[rid].digests.append(digest)
                facts[rid].sealed = row.action in SEALING_ACTIONS
    except (KeyError, TypeError, ValueError):
        return None
    return facts


# ---------------------------------------------------------------------------- checkpointing
def commits_for(table: RecordTable, spaces: Iterable[str]) -> dict[str, list[object]]:
    """Per space with records: [digest, profile version, profile digest] as of now."""
    old = dict(table.lazy.commits) if table.lazy is not None else {}
    loaded = table.loaded_spaces() if table.lazy is not None else None
    by_space: dict[str, list[tuple[str, RecordFact]]] = {}
    for rid, fact in table._facts.items():
        if loaded is None or fact.patient in loaded:
            by_space.setdefault(fact.patient, []).append((rid, fact))
    out: dict[str, list[object]] = {}
    for space in spaces:
        facts = by_space.get(space)
        if loaded is not None and space not in loaded:
            if space in old:
                out[space] = old[space]
            continue
        if not facts:
            continue
        profile = next((f for rid, f in facts if rid == space), None)
        out[space] = [
            space_digest(space, facts),
            None if profile is None else len(profile.digests),
            None if profile is None else profile.digests[-1],
        ]
    return out


def index_for(table: RecordTable) -> tuple[bytes, list[str]]:
    """The next checkpoint's sorted index and space ordinals (the old ones, extended)."""
    lazy = table.lazy
    order = list(lazy.order) if lazy is not None else []
    ordinal = {space: i for i, space in enumerate(order)}
    new = table.added if lazy is not None else table._facts.keys()
    entries: list[bytes] = []
    for rid in new:
        fact = table._facts.get(rid)
        if fact is None:
            continue
        if fact.patient not in ordinal:
            ordinal[fact.patient] = len(order)
            order.append(fact.patient)
        entries.append(rid_hash(rid) + ordinal[fact.patient].to_bytes(4, "big"))
    old = lazy.index if lazy is not None else b""
    gone = {ordinal[s].to_bytes(4, "big") for s in table.dropped if s in ordinal}
    if not entries and not gone:
        return old, order
    entries += [
        e
        for e in (old[i : i + ENTRY] for i in range(0, len(old), ENTRY))
        if not gone or e[HASH:] not in gone
    ]
    entries.sort()
    return b"".join(entries), order
