"""The verified policy log: who may read what, and what is current, replayed from signed entries.

The database is not trusted. Tables (users, supervision, patients, wraps, pending grants, record
heads) are caches; every fact that decides access or currency is taken from audit entries whose
signer was authorised for that act at that point, back to the vault's genesis key. :class:`Policy`
replays the chain one entry at a time and raises :class:`Unauthorised`, naming the entry and the
rule, at the first entry its signer had no right to make.

The rules (also in docs/security.md):

==================  ==========================================================================
action              who may sign it, and what it must say
==================  ==========================================================================
init                entry 1 only, by the genesis key; the vault id is derived from that key
user_add            an active admin (at init, the genesis admin adds itself)
passwd, recover     the user themself (digests of their new key wraps)
supervise           an active admin proposes supervisor → therapist (roles must fit)
supervise_accept    the therapist accepts a proposal; wraps to the supervisor for every
                    patient of the therapist, every epoch
patient_add         an active therapist, who becomes the owner; wraps to exactly the owner, the
                    supervisors they accepted and the break-glass key (a process-note space:
                    the owner and break-glass only)
create … discard    record writes: someone who may read the patient now (process-note space:
                    the owner only); a new record starts at version 1 and its signer is its
                    author; later versions follow one by one and only from the author; a
                    version written by sign, cosign or return seals the record: nothing is
                    ever written to it again (so ``discard``, the tombstone of a draft, can
                    never hide a signed note); a discard never starts a record
prune               a record's author, for an unsealed record, naming its newest version and that
                    version's digest: older versions (a compiled notebook's) leave the store
                    and their digests are forgotten, so none can come back unnoticed
grant_request       any active user asks for someone's access; nothing is wrapped
grant, grant_deny   the patient's owner, never to themself; wraps for every epoch
revoke              the owner or an admin; never the owner
rotate              the owner, an admin or a current reader; the new epoch is wrapped to exactly
                    the current readers and the break-glass key
shred               an active admin
break_glass         any active user, for themself, until ``expires``; never carried into a
                    rotation
settings            an active admin: the clinic's settings as a whole, ``version`` one more
                    than the last (values are checked by the caller; the log keeps every version)
anything else       any active user (reads, exports, unlocks: a record of what happened)
==================  ==========================================================================
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kap_notes.vault import crypto, recordfacts
from kap_notes.vault.audit import ACTIONS, WRITE_ACTIONS, chain_hash
from kap_notes.vault.ids import BREAK_GLASS
from kap_notes.vault.recordfacts import RecordTable
from kap_notes.vault.store import AuditRow

GENESIS = b"\x00" * 32
FORMAT = 2
PATIENT, PROCESS = "patient", "process"
ADMIN, THERAPIST, SUPERVISOR = "admin", "therapist", "supervisor"

#: Write actions whose version is signed: the record never takes another version.
SEALING_ACTIONS = recordfacts.SEALING_ACTIONS
#: A record's author, version digests and sealed flag (kept in :mod:`.recordfacts`).
RecordFact = recordfacts.RecordFact

#: A wrap as entries list it: (patient id, epoch, recipient, sha256 hex of the sealed bytes).
Wrap = tuple[str, int, str, str]


class Unauthorised(Exception):
    """An entry its signer was not authorised to make (or that does not verify)."""

    def __init__(self, seq: int, action: str, actor: str, reason: str) -> None:
        super().__init__(f"audit entry {seq} ({action} by {actor}): {reason}")
        self.seq = seq


def _text_or_none(value: object) -> str | None:
    """An optional text field of an entry (display name, credentials)."""
    return (value.strip() or None) if isinstance(value, str) else None


def vault_id_for(nonce: bytes, genesis_signing: bytes) -> str:
    """The vault id is bound to its genesis key: nobody can re-root a vault under another key."""
    digest = crypto.sha256(b"kap-notes vault id\x00" + nonce + genesis_signing)
    return "vault_" + base64.b32encode(digest).decode("ascii")[:32].lower()


def wrap_commit_context(vault_id: str, patient_id: str, epoch: int) -> bytes:
    """What a patient key's commitment is bound to."""
    return crypto.canonical_json(["kap-notes patient key commitment", vault_id, patient_id, epoch])


@dataclass
class UserFact:
    """A user as the log says: role, public keys, digests of their current key wraps."""

    name: str
    role: str
    box: str
    signing: str
    key_wrap: str
    recovery_wrap: str | None
    active: bool = True
    #: Shown beside their signatures, e.g. "Tess Taylor" and "LCSW" (optional, signed at user_add).
    display_name: str | None = None
    credentials: str | None = None


@dataclass
class PatientFact:
    """A patient (or a patient's process-note space) as the log says."""

    owner: str
    kind: str
    parent: str | None
    epoch: int
    commits: dict[int, str]
    wraps: dict[str, str]  # "epoch/recipient" -> sha256 hex
    readers: list[str]
    break_glass: dict[str, str] = field(default_factory=dict)  # user -> expires (ISO)
    requests: dict[str, str] = field(default_factory=dict)  # user -> requested by


@dataclass
class Policy:
    """The state the signed log describes, after entry ``seq`` (whose hash is ``head``)."""

    vault_id: str
    genesis: str = ""
    genesis_signing: str = ""
    kdf: dict[str, Any] = field(default_factory=dict)
    kdf_floor: dict[str, Any] = field(default_factory=dict)
    demo: bool = False
    break_glass_key: str = ""
    users: dict[str, UserFact] = field(default_factory=dict)
    supervisors: dict[str, list[str]] = field(default_factory=dict)  # therapist -> accepted
    proposals: list[list[str]] = field(default_factory=list)  # [supervisor, therapist]
    patients: dict[str, PatientFact] = field(default_factory=dict)
    records: RecordTable = field(default_factory=RecordTable)
    shredded: list[str] = field(default_factory=list)
    #: Every version of the clinic settings: {"version", "values", "by", "at"}, oldest first.
    clinic_settings: list[dict[str, Any]] = field(default_factory=list)
    #: patient (or space) -> seq of the newest entry that signed (sealed) one of its records:
    #: what a cache of a patient's signed notes is keyed by (see ``sealed_since``).
    sealed_at: dict[str, int] = field(default_factory=dict)
    seq: int = 0
    head: str = GENESIS.hex()

    def records_of(self, space: str) -> set[str]:
        """Ids of the records the log says are kept in ``space`` (a patient or process space)."""
        return self.records.records_of(space)

    def user_named(self, name: str) -> tuple[str, UserFact] | None:
        return next(((uid, u) for uid, u in self.users.items() if u.name == name), None)

    def is_active(self, user_id: str, role: str | None = None) -> bool:
        user = self.users.get(user_id)
        return user is not None and user.active and (role is None or user.role == role)

    def may_read(self, user_id: str, patient_id: str, now: str) -> bool:
        """May ``user_id`` read (and so write) the patient at time ``now``?"""
        patient = self.patients.get(patient_id)
        if patient is None or not self.is_active(user_id):
            return False
        if patient.kind == PROCESS:
            return user_id == patient.owner
        expires = patient.break_glass.get(user_id)
        return user_id in patient.readers or (expires is not None and now < expires)

    def rotation_recipients(self, patient_id: str) -> list[str]:
        """Who a new epoch of the patient's key is wrapped to."""
        return sorted({*self.patients[patient_id].readers, BREAK_GLASS})

    def new_patient_readers(self, owner: str, kind: str) -> list[str]:
        if kind == PROCESS:
            return [owner]
        return sorted({owner, *self.supervisors.get(owner, [])})

    def owned_patients(self, owner: str) -> list[str]:
        return sorted(
            pid for pid, p in self.patients.items() if p.owner == owner and p.kind == PATIENT
        )

    def process_space(self, patient_id: str, owner: str) -> str | None:
        return min(
            (
                pid
                for pid, p in self.patients.items()
                if p.kind == PROCESS and p.parent == patient_id and p.owner == owner
            ),
            default=None,
        )

    def signing_key(self, user_id: str) -> bytes | None:
        user = self.users.get(user_id)
        return None if user is None else bytes.fromhex(user.signing)

    # ------------------------------------------------------------------------------- replay
    def apply(self, row: AuditRow) -> None:
        """Check one entry (link, signature, authority) and apply what it says."""
        fields = _fields(row)
        if row.seq != self.seq + 1 or fields.get("seq") != row.seq:
            raise Unauthorised(row.seq, row.action, row.actor, f"expected entry {self.seq + 1}")
        prev = bytes.fromhex(self.head)
        if fields.get("prev") != self.head or chain_hash(prev, row.entry) != row.hash:
            raise Unauthorised(
                row.seq, row.action, row.actor, "hash chain broken (edited, deleted or reordered)"
            )
        if (fields.get("actor"), fields.get("action"), fields.get("patient")) != (
            row.actor,
            row.action,
            row.patient,
        ) or fields.get("record") != row.record:
            raise Unauthorised(
                row.seq, row.action, row.actor, "indexed columns differ from the signed entry"
            )
        _Rules(self, row, fields).apply()
        self.seq = row.seq
        self.head = row.hash.hex()

    def replay(self, rows: Iterable[AuditRow]) -> None:
        for row in rows:
            self.apply(row)

    def signature_ok(self, key: bytes, row: AuditRow) -> bool:
        """Is ``row`` signed by ``key``? (``audit verify`` checks them ahead, in parallel.)"""
        return crypto.verify(key, row.signature, row.hash)

    # ------------------------------------------------------------------------ serialisation
    def to_bytes(self) -> bytes:
        """Compact JSON (records as ``[patient, author, digests, sealed]``)."""
        return json.dumps(self.to_dict(), separators=(",", ":")).encode("utf-8")

    def to_dict(self, *, records: bool = True, patients: bool = True) -> dict[str, Any]:
        """Plain data (without the record facts unless ``records``: see :mod:`.recordfacts`;
        without the patients unless ``patients``: see :mod:`.checkpoint`)."""
        raw: dict[str, Any] = {
            k: getattr(self, k) for k in self.__dataclass_fields__ if k not in _NESTED
        }
        raw["users"] = {k: vars(v) for k, v in self.users.items()}
        if patients:
            fields = PatientFact.__dataclass_fields__
            raw["patients"] = {
                k: {f: getattr(v, f) for f in fields} for k, v in self.patients.items()
            }
        if records:
            raw["records"] = {
                k: [r.patient, r.author, r.digests, r.sealed] for k, r in self.records.items()
            }
        return raw

    @classmethod
    def from_bytes(cls, data: bytes) -> Policy:
        """Inverse of :meth:`to_bytes` (also reads records written as objects)."""
        return cls.from_dict(json.loads(data))

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Policy:
        """Inverse of :meth:`to_dict` (no ``records``: none in memory)."""
        policy = cls(**{k: v for k, v in raw.items() if k not in _NESTED})
        policy.users = {k: UserFact(**v) for k, v in raw["users"].items()}
        policy.patients = {}
        for pid, p in raw["patients"].items():
            p["commits"] = {int(e): c for e, c in p["commits"].items()}
            policy.patients[pid] = PatientFact(**p)
        policy.records = RecordTable(
            {
                k: RecordFact(*v) if isinstance(v, list) else RecordFact(**v)
                for k, v in raw.get("records", {}).items()
            }
        )
        return policy


_NESTED = ("users", "patients", "records")


def _fields(row: AuditRow) -> dict[str, Any]:
    try:
        fields = json.loads(row.entry)
    except ValueError as exc:
        raise Unauthorised(row.seq, row.action, row.actor, "unreadable entry") from exc
    if not isinstance(fields, dict):
        raise Unauthorised(row.seq, row.action, row.actor, "unreadable entry")
    return fields


class _Rules:
    """The authority check and state change of one entry (see the module's table)."""

    def __init__(self, policy: Policy, row: AuditRow, fields: dict[str, Any]) -> None:
        self.p = policy
        self.row = row
        self.actor = row.actor
        self.patient = row.patient
        self.ts = str(fields.get("ts", ""))
        self.version = fields.get("version")
        self.digest = fields.get("blob_sha256")
        data = fields.get("data")
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}

    def refuse(self, reason: str) -> Unauthorised:
        return Unauthorised(self.row.seq, self.row.action, self.actor, reason)

    def apply(self) -> None:
        action = self.row.action
        if action not in ACTIONS or action == "policy_snapshot":
            raise self.refuse("not an action this vault allows here")
        if action == "init":
            self.init()
            return
        self.check_signature()
        handler = getattr(self, action, None)
        if action in WRITE_ACTIONS:
            self.write()
        elif handler is not None:
            handler()

    # ------------------------------------------------------------------ signature, helpers
    def check_signature(self) -> None:
        p = self.p
        if self.row.action == "user_add" and not p.users and self.actor == p.genesis:
            key = bytes.fromhex(p.genesis_signing)
        else:
            if not p.is_active(self.actor):
                raise self.refuse("the signer is not an active user of this vault")
            key = p.signing_key(self.actor) or b""
        if not p.signature_ok(key, self.row):
            raise self.refuse("the signature does not verify")

    def user_arg(self) -> str:
        user = self.data.get("user")
        if not isinstance(user, str) or not self.p.is_active(user):
            raise self.refuse(f"{user!r} is not an active user")
        return user

    def known_patient(self, kind: str | None = PATIENT) -> Any:
        patient = self.p.patients.get(self.patient or "")
        if patient is None:
            raise self.refuse(f"no patient {self.patient} (never added, or shredded)")
        if kind is not None and patient.kind != kind:
            raise self.refuse("not allowed on a process-note space")
        return patient

    def wraps(self) -> set[Wrap]:
        raw = self.data.get("wraps", [])
        try:
            return {(str(p), int(e), str(r), str(d)) for p, e, r, d in raw}
        except (TypeError, ValueError) as exc:
            raise self.refuse("malformed wrap list") from exc

    def expect_wraps(self, expected: set[tuple[str, int, str]]) -> None:
        wraps = self.wraps()
        listed = {(p, e, r) for p, e, r, _ in wraps}
        if listed != expected or len(listed) != len(wraps):
            extra = sorted(listed - expected)
            reason = f"wraps to {extra[0][2]} for {extra[0][0]}" if extra else "wraps missing"
            raise self.refuse(f"{reason}: not the recipients this act allows")
        for pid, epoch, recipient, digest in wraps:
            self.p.patients[pid].wraps[f"{epoch}/{recipient}"] = digest

    def require_admin(self) -> None:
        if not self.p.is_active(self.actor, ADMIN):
            raise self.refuse("only an admin may do this")

    # ------------------------------------------------------------------------------- acts
    def init(self) -> None:
        p, d = self.p, self.data
        if self.row.seq != 1:
            raise self.refuse("init can only be the first entry")
        try:
            nonce, signing = bytes.fromhex(d["nonce"]), bytes.fromhex(d["genesis_signing"])
        except (KeyError, TypeError, ValueError) as exc:
            raise self.refuse("init names no genesis key") from exc
        if vault_id_for(nonce, signing) != p.vault_id or d.get("vault") != p.vault_id:
            raise self.refuse("the genesis key does not match this vault's id")
        if not crypto.verify(signing, self.row.signature, self.row.hash):
            raise self.refuse("the signature does not verify")
        p.genesis, p.genesis_signing = self.actor, signing.hex()
        p.kdf, p.kdf_floor = dict(d["kdf"]), dict(d["kdf_floor"])
        p.demo = bool(d.get("demo"))
        p.break_glass_key = str(d["break_glass"])

    def user_add(self) -> None:
        p, d = self.p, self.data
        user_id = self.row.record or ""
        first = not p.users
        if first:
            if (user_id, d.get("role"), d.get("signing")) != (p.genesis, ADMIN, p.genesis_signing):
                raise self.refuse("the first user must be the genesis admin")
        else:
            self.require_admin()
        if user_id in p.users or p.user_named(str(d.get("name"))) is not None:
            raise self.refuse("that user already exists")
        if d.get("role") not in (ADMIN, THERAPIST, SUPERVISOR):
            raise self.refuse("unknown role")
        try:
            p.users[user_id] = UserFact(
                name=str(d["name"]),
                role=str(d["role"]),
                box=bytes.fromhex(d["box"]).hex(),
                signing=bytes.fromhex(d["signing"]).hex(),
                key_wrap=str(d["key_wrap"]),
                recovery_wrap=d.get("recovery_wrap"),
                display_name=_text_or_none(d.get("display_name")),
                credentials=_text_or_none(d.get("credentials")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise self.refuse("user entry lacks keys") from exc

    def passwd(self) -> None:
        if self.row.record != self.actor:
            raise self.refuse("only users change their own passphrase")
        user = self.p.users[self.actor]
        user.key_wrap = str(self.data.get("key_wrap"))
        user.recovery_wrap = self.data.get("recovery_wrap")

    recover = passwd

    def supervise(self) -> None:
        self.require_admin()
        sup, ther = str(self.data.get("supervisor")), str(self.data.get("therapist"))
        if not self.p.is_active(sup, SUPERVISOR) or not self.p.is_active(ther, THERAPIST):
            raise self.refuse("supervision needs an active supervisor and an active therapist")
        if [sup, ther] not in self.p.proposals:
            self.p.proposals.append([sup, ther])

    def supervise_accept(self) -> None:
        p = self.p
        sup = str(self.data.get("supervisor"))
        if [sup, self.actor] not in p.proposals or not p.is_active(sup, SUPERVISOR):
            raise self.refuse("no supervision proposed by an admin for this therapist")
        owned = p.owned_patients(self.actor)
        self.expect_wraps(
            {(pid, e, sup) for pid in owned for e in range(1, p.patients[pid].epoch + 1)}
        )
        p.proposals.remove([sup, self.actor])
        p.supervisors.setdefault(self.actor, [])
        if sup not in p.supervisors[self.actor]:
            p.supervisors[self.actor].append(sup)
        for pid in owned:
            _add(p.patients[pid].readers, sup)
            p.patients[pid].requests.pop(sup, None)

    def patient_add(self) -> None:
        p, d = self.p, self.data
        pid = self.patient or ""
        if not p.is_active(self.actor, THERAPIST):
            raise self.refuse("only a therapist registers patients")
        if pid in p.patients or pid in p.shredded:
            raise self.refuse("that patient id is taken")
        kind = d.get("kind")
        parent = d.get("parent")
        if kind == PROCESS:
            owner_of_parent = p.patients.get(str(parent))
            if owner_of_parent is None or owner_of_parent.owner != self.actor:
                raise self.refuse("a process-note space belongs to the parent's owner")
        elif kind != PATIENT or parent is not None:
            raise self.refuse("unknown kind of patient space")
        readers = p.new_patient_readers(self.actor, str(kind))
        p.patients[pid] = PatientFact(
            owner=self.actor,
            kind=str(kind),
            parent=None if parent is None else str(parent),
            epoch=1,
            commits={1: str(d.get("commit"))},
            wraps={},
            readers=readers,
        )
        self.expect_wraps({(pid, 1, r) for r in [*readers, BREAK_GLASS]})

    def write(self) -> None:
        p = self.p
        pid, rid, version = self.patient or "", self.row.record or "", self.version
        self.known_patient(kind=None)
        if not p.may_read(self.actor, pid, self.ts):
            raise self.refuse(f"may not write to patient {pid}")
        if not isinstance(version, int) or not isinstance(self.digest, str):
            raise self.refuse("a write names no version or digest")
        record = p.records.get(rid)
        seals = self.row.action in SEALING_ACTIONS
        if version == 1:
            if record is not None or rid == "":
                raise self.refuse(f"record {rid} already exists")
            if self.row.action == "discard":
                raise self.refuse("a discard only follows a draft's saved version")
            p.records[rid] = RecordFact(pid, self.actor, [self.digest], seals)
            if seals:
                p.sealed_at[pid] = self.row.seq
            return
        if record is None or record.patient != pid:
            raise self.refuse(f"no record {rid} of patient {pid}")
        if record.author != self.actor:
            raise self.refuse(f"only the record's author ({record.author}) writes to it")
        if record.sealed:
            raise self.refuse(f"record {rid} is signed: a signed record never changes")
        if version != len(record.digests) + 1:
            raise self.refuse(
                f"version {version} does not follow version {len(record.digests)} of {rid}"
            )
        record.digests.append(self.digest)
        record.sealed = seals
        if seals:
            p.sealed_at[pid] = self.row.seq

    def prune(self) -> None:
        pid, rid = self.patient or "", self.row.record or ""
        self.known_patient(kind=None)
        record = self.p.records.get(rid)
        if record is None or record.patient != pid or record.author != self.actor:
            raise self.refuse(f"only the author of record {rid} prunes its versions")
        if record.sealed or self.version != len(record.digests):
            raise self.refuse("a prune keeps the newest version of an unsealed record")
        if self.digest != record.digests[-1]:
            raise self.refuse("a prune names the digest of the version it keeps")
        record.digests[:-1] = [""] * (len(record.digests) - 1)

    def grant_request(self) -> None:
        patient = self.known_patient()
        target = self.user_arg()
        if target not in patient.readers:
            patient.requests[target] = self.actor

    def grant(self) -> None:
        patient = self.known_patient()
        target = self.user_arg()
        if self.actor != patient.owner:
            raise self.refuse("only the treating therapist grants access")
        if target == self.actor:
            raise self.refuse("nobody grants access to themself")
        pid = self.patient or ""
        self.expect_wraps({(pid, e, target) for e in range(1, patient.epoch + 1)})
        _add(patient.readers, target)
        patient.requests.pop(target, None)

    def grant_deny(self) -> None:
        patient = self.known_patient()
        if self.actor != patient.owner:
            raise self.refuse("only the treating therapist answers access requests")
        patient.requests.pop(str(self.data.get("user")), None)

    def revoke(self) -> None:
        patient = self.known_patient()
        if self.actor != patient.owner and not self.p.is_active(self.actor, ADMIN):
            raise self.refuse("only the treating therapist or an admin revokes access")
        target = str(self.data.get("user"))
        if target == patient.owner:
            raise self.refuse("the treating therapist's access cannot be revoked")
        if target in patient.readers:
            patient.readers.remove(target)
        patient.break_glass.pop(target, None)
        patient.requests.pop(target, None)
        for key in [k for k in patient.wraps if k.split("/", 1)[1] == target]:
            del patient.wraps[key]

    def rotate(self) -> None:
        p = self.p
        pid = self.patient or ""
        patient = self.known_patient(kind=None)
        allowed = (
            self.actor == patient.owner
            or p.is_active(self.actor, ADMIN)
            or p.may_read(self.actor, pid, self.ts)
        )
        if not allowed:
            raise self.refuse("may not rotate this patient's key")
        epoch = patient.epoch + 1
        if self.data.get("epoch") != epoch:
            raise self.refuse(f"the next epoch is {epoch}")
        self.expect_wraps({(pid, epoch, r) for r in p.rotation_recipients(pid)})
        patient.epoch = epoch
        patient.commits[epoch] = str(self.data.get("commit"))
        patient.break_glass.clear()

    def shred(self) -> None:
        self.require_admin()
        self.known_patient()
        pid = self.patient or ""
        spaces = [pid, *(k for k, v in self.p.patients.items() if v.parent == pid)]
        for space in spaces:
            del self.p.patients[space]
            self.p.sealed_at.pop(space, None)
            _add(self.p.shredded, space)
        self.p.records.drop_spaces(spaces)

    def settings(self) -> None:
        if not self.p.is_active(self.actor, ADMIN):
            raise self.refuse("only an admin may change clinic settings")
        history = self.p.clinic_settings
        version, values = self.data.get("version"), self.data.get("values")
        if self.patient is not None or self.row.record is not None:
            raise self.refuse("clinic settings name no patient and no record")
        if version != len(history) + 1 or isinstance(version, bool):
            raise self.refuse(f"the next clinic-settings version is {len(history) + 1}")
        if not isinstance(values, dict) or not all(
            isinstance(k, str) and isinstance(v, (int, float, str)) for k, v in values.items()
        ):
            raise self.refuse("clinic settings must be a flat object of names and values")
        entry = {"version": version, "values": dict(values), "by": self.actor, "at": self.ts}
        history.append(entry)

    def break_glass(self) -> None:
        patient = self.known_patient()
        if self.data.get("user") != self.actor or not isinstance(self.data.get("expires"), str):
            raise self.refuse("break-glass access is for its user, and expires")
        pid = self.patient or ""
        self.expect_wraps({(pid, e, self.actor) for e in range(1, patient.epoch + 1)})
        patient.break_glass[self.actor] = str(self.data["expires"])


def _add(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


def wraps_listing(wraps: Iterable[tuple[str, int, str, bytes]]) -> list[list[Any]]:
    """The ``wraps`` list an entry carries: [patient, epoch, recipient, sha256 hex]."""
    return sorted([p, e, r, crypto.sha256(s).hex()] for p, e, r, s in wraps)


def expected_wraps(policy: Policy) -> dict[tuple[str, int, str], str]:
    """(patient, epoch, recipient) → digest of every wrap the log says exists."""
    out = {}
    for pid, patient in policy.patients.items():
        for key, digest in patient.wraps.items():
            epoch, recipient = key.split("/", 1)
            out[(pid, int(epoch), recipient)] = digest
    return out


def heads(policy: Policy) -> Mapping[str, tuple[str, int]]:
    """record id → (patient, current version) by the log."""
    return {rid: (r.patient, len(r.digests)) for rid, r in policy.records.items()}
