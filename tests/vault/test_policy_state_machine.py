"""Issue 9's "done when": legitimate work interleaved with a database writer's edits, on SQLite and
PostgreSQL, never lets anyone read what they were never authorised for, and ``audit verify``
never passes over a change the writer made.

The machine keeps its own ground truth: for every record version it wrote, who was allowed to
read it (the patient's readers when it was written, plus anyone granted later; a process note's
author only). After every step each user's *own private key* is tried against every stored wrap
and record version (what an attacker running their own code could do), and each user's library
view (fresh unlock, ``read_patient``) is checked against the same truth. After every attacker
step that changed a row, ``verify_chain`` must report a problem.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import psycopg
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from kap_notes.model.patient import InvalidInput
from kap_notes.model.people import Role
from kap_notes.service import lifecycle
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault import access, audit, crypto
from kap_notes.vault.crypto import FAST_KDF, KeyPair
from kap_notes.vault.errors import VaultError
from kap_notes.vault.session import Session
from kap_notes.vault.vault import Vault
from tests.conftest import PASSPHRASES, create_clinic_vault, synthetic_patient

from ._attacker import (
    REFUSALS,
    Forged,
    append_signed,
    decryptable,
    forge_user,
    query,
    raw_db,
)

SUE = "sue test passphrase"
PASSWORDS = {**PASSPHRASES, "sue": SUE}
USERS = ("ada", "tess", "theo", "sam", "sue")
THERAPISTS = ("tess", "theo")
SUPERVISORS = ("sam", "sue")
ROLES = ("admin", "therapist", "supervisor")
PREPARATION = dict(synthetic_course(4, start=dt.date(2026, 2, 2)).steps[0].answers)
PROCESS = {"session_datetime": "2026-02-02T10:00:00+00:00", "process_note": "Synthetic reflection."}
#: Every table the attacker may edit, and its columns (the key columns first).
TABLES = {
    "users": ("user_id", "name", "role", "box_public", "signing_public", "key_wrap", "active"),
    "supervision": ("supervisor_id", "therapist_id"),
    "patients": ("patient_id", "epoch", "owner_id"),
    "wraps": ("patient_id", "epoch", "recipient", "sealed"),
    "pending_grants": ("patient_id", "user_id"),
    "records": ("record_id", "patient_id", "version"),
    "record_versions": ("record_id", "version", "blob"),
    "audit": ("seq", "entry", "hash", "signature", "actor", "action", "patient", "record"),
}
#: Acts a therapist never has the right to sign about another therapist's patient.
FORGED_ACTS = ("shred", "user_add", "supervise", "grant", "revoke", "update", "rotate")
KEY_COLUMNS = {
    "users": 1,
    "supervision": 2,
    "patients": 1,
    "wraps": 3,
    "pending_grants": 2,
    "records": 1,
    "record_versions": 2,
    "audit": 1,
}
Snapshot = dict[tuple[str, tuple[Any, ...]], tuple[Any, ...]]
DB_ERRORS = (sqlite3.Error, psycopg.Error)
LEGIT = (
    "create_patient",
    "save_draft",
    "edit_or_sign",
    "grant",
    "request_grant",
    "approve",
    "revoke",
    "propose_supervisor",
    "accept_supervisor",
)
ATTACKS = (
    "user",
    "supervision",
    "patient",
    "wrap",
    "pending_grant",
    "record",
    "audit",
    "signed_act",
    "forge_user",
)
_WRAP_SQL = {
    "recipient": "UPDATE wraps SET recipient = ?"
    " WHERE patient_id = ? AND epoch = ? AND recipient = ?",
    "epoch": "UPDATE wraps SET epoch = epoch + 1"
    " WHERE patient_id = ? AND epoch = ? AND recipient = ?",
    "delete": "DELETE FROM wraps WHERE patient_id = ? AND epoch = ? AND recipient = ?",
}


@dataclass
class PatientModel:
    """What the machine knows about one patient."""

    owner: str
    readers: set[str]
    records: list[tuple[str, int]] = field(default_factory=list)  # clinical record versions


@dataclass
class Draft:
    patient: str
    version: int
    process: bool


class PolicyMachine(RuleBasedStateMachine):
    """One clinic vault per example; ``new_location`` is bound by the test (per backend)."""

    new_location: ClassVar[Callable[[], str]]

    def __init__(self) -> None:
        super().__init__()
        self.location = type(self).new_location()
        created, _ = create_clinic_vault(self.location)
        self.vault_id = created.vault.vault_id
        access.add_user(created.admin, "sue", Role.SUPERVISOR, SUE)
        created.vault.close()
        self.ids = {name: self._user_id(name) for name in USERS}
        self.keys: dict[str, KeyPair] = {}
        for name in USERS:
            with self.session(name) as session:
                self.keys[name] = session.key_pair
        self.supervisors: dict[str, set[str]] = {"tess": {"sam"}, "theo": set()}
        self.proposals: dict[tuple[str, str], None] = {}  # dicts: insertion order is stable
        self.patients: dict[str, PatientModel] = {}
        self.allowed: dict[tuple[str, int], set[str]] = {}
        self.drafts: dict[str, Draft] = {}
        self.requests: dict[tuple[str, str], None] = {}
        self.seen_wraps: dict[tuple[str, int, str, bytes], None] = {}
        #: random ids → names stable across runs (users, P1…, R1…), so that hypothesis draws the
        #: same choices when it replays a run
        self.labels: dict[str, str] = {uid: name for name, uid in self.ids.items()}
        self.mallory: Forged | None = None
        self.tainted = False  # the attacker changed something (legit steps may then be refused)
        #: rows the attacker changed → their value before (None: the row did not exist)
        self.tampered: dict[tuple[str, tuple[Any, ...]], tuple[Any, ...] | None] = {}
        self._remember_wraps()

    # ------------------------------------------------------------------------------ plumbing
    @contextlib.contextmanager
    def opened(self) -> Iterator[Vault]:
        """The vault, opened afresh and closed again (PostgreSQL connections are few)."""
        vault = Vault.open(self.location, kdf_floor=FAST_KDF)
        try:
            yield vault
        finally:
            vault.close()

    @contextlib.contextmanager
    def session(self, name: str) -> Iterator[Session]:
        """A fresh unlock by ``name``."""
        with self.opened() as vault:
            yield vault.unlock(name, PASSWORDS[name])

    def _user_id(self, name: str) -> str:
        return str(query(self.location, "SELECT user_id FROM users WHERE name = ?", (name,))[0][0])

    def legit(self, name: str, act: Callable[[Session], Any]) -> Any:
        """Run a legitimate act as ``name`` after a fresh unlock. Once the attacker has changed
        the vault, a refusal is an acceptable outcome (``None``); before, it is a failure."""
        try:
            with self.session(name) as session:
                return act(session)
        except (VaultError, InvalidInput) as exc:
            if not self.tainted:
                raise
            event(f"legitimate act refused after tampering: {type(exc).__name__}")
            return None

    def verify(self) -> audit.VerifyReport:
        with self.opened() as vault:
            return audit.verify_chain(vault.store, vault.vault_id)

    def _remember_wraps(self) -> None:
        for table, column in (("patients", "patient_id"), ("records", "record_id")):
            for (new,) in query(self.location, f"SELECT {column} FROM {table}"):  # noqa: S608
                self.labels.setdefault(str(new), f"{table[0].upper()}~{len(self.labels):04d}")
        rows = query(self.location, "SELECT patient_id, epoch, recipient, sealed FROM wraps")
        for p, e, r, s in self.stable(rows):
            self.seen_wraps.setdefault((str(p), int(e), str(r), bytes(s)), None)

    def written(
        self, patient_id: str, record_id: str, version: int, author: str, *, process: bool
    ) -> None:
        """A legit write: who may ever read this record version."""
        self.labels.setdefault(record_id, f"R{len(self.labels):04d}")
        if process:
            self.allowed[(record_id, version)] = {author}
            return
        patient = self.patients[patient_id]
        self.allowed[(record_id, version)] = set(patient.readers)
        patient.records.append((record_id, version))

    def stable(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Rows in an order that does not depend on random ids (labels; bytes are ignored)."""

        def key(row: tuple[Any, ...]) -> tuple[str, ...]:
            return tuple(
                self.labels.get(v, f"~{v}")
                if isinstance(v, str)
                else f"{int(v):012d}"
                if isinstance(v, (int, bool))
                else ""
                for v in row
            )

        return sorted(rows, key=key)

    def authorise(self, patient_id: str, name: str) -> None:
        """``name`` now reads the patient: every clinical version written so far, too."""
        patient = self.patients[patient_id]
        patient.readers.add(name)
        for version in patient.records:
            self.allowed[version].add(name)
        self.requests.pop((patient_id, name), None)

    def snapshot(self) -> Snapshot:
        """Every row of the attacked tables, by (table, key columns)."""
        out: Snapshot = {}
        for table, cols in TABLES.items():
            rows = query(self.location, f"SELECT {', '.join(cols)} FROM {table}")  # noqa: S608
            for row in rows:
                values = tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                out[(table, values[: KEY_COLUMNS[table]])] = values
        return out

    def attack(self, description: str, sql: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Run the attacker's statements in one transaction; if any row changed, verify must say
        so (right away, before any legitimate step could repair a cache)."""
        before = self.snapshot()
        try:
            with raw_db(self.location) as db:
                for statement, params in sql:
                    db.execute(statement, params)
        except DB_ERRORS:
            return  # refused by the database itself (e.g. a key collision): nothing changed
        self.after_attack(description, before)

    def after_attack(self, description: str, before: Snapshot) -> None:
        """Note which rows the attacker changed (and which they put back as they were); while
        any stays changed, ``audit verify`` must report a problem."""
        after = self.snapshot()
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        event(f"attack on {'+'.join(sorted({t for t, _ in changed})) or 'nothing'}")
        for key in changed:
            self.tampered.setdefault(key, before.get(key))
        self.tampered = {k: v for k, v in self.tampered.items() if after.get(k) != v}
        if not changed:
            return
        self.tainted = True
        if self.tampered:
            report = self.verify()
            tables = sorted({t for t, _ in self.tampered})
            assert not report.ok, f"audit verify passed over: {description} (in {tables})"

    # ---------------------------------------------------------------------- legitimate acts
    @initialize()
    def clinic_at_work(self) -> None:
        """A working day before anything else: two patients of tess's (one with a process
        note), one of theo's, a draft and a signed note each."""
        for owner in ("tess", "tess", "theo"):
            patient_id = self.add_patient(owner)
            assert patient_id is not None
            first = self.save(patient_id, process=False)
            assert first is not None
            self.edit(first, sign=True)
            self.save(patient_id, process=False)
        self.save(next(p for p, m in self.patients.items() if m.owner == "tess"), process=True)

    def do_create_patient(self, data: st.DataObject) -> None:
        self.add_patient(data.draw(st.sampled_from(THERAPISTS)))

    def add_patient(self, owner: str) -> str | None:
        n = len(self.patients) + 1
        profile = {"kind": "patient", "chart_code": f"KAP-M{n}", "sex": "unknown"}
        patient_id = self.legit(
            owner, lambda s: s.create_patient({**profile, **synthetic_patient(n)})
        )
        if patient_id is None:
            return None
        readers = {owner} | self.supervisors[owner]
        self.labels[str(patient_id)] = f"P{len(self.patients) + 1:04d}"
        self.patients[patient_id] = PatientModel(owner, readers)
        self.written(patient_id, patient_id, 1, owner, process=False)
        self._remember_wraps()
        return str(patient_id)

    def do_save_draft(self, data: st.DataObject) -> None:
        patient_id = data.draw(st.sampled_from(list(self.patients)))
        self.save(patient_id, process=data.draw(st.booleans()))

    def save(self, patient_id: str, *, process: bool) -> str | None:
        owner = self.patients[patient_id].owner
        form, answers = ("process-note", PROCESS) if process else ("preparation", PREPARATION)
        saved = self.legit(owner, lambda s: lifecycle.save_draft(s, patient_id, form, answers))
        if saved is None:
            return None
        note_id, version = saved.ref.note_id, saved.ref.version
        self.written(patient_id, note_id, version, owner, process=process)
        self.drafts[note_id] = Draft(patient_id, version, process)
        self._remember_wraps()
        return str(note_id)

    def do_edit_or_sign(self, data: st.DataObject) -> None:
        if self.drafts:
            note_id = data.draw(st.sampled_from(list(self.drafts)))
            self.edit(note_id, sign=data.draw(st.booleans()))

    def edit(self, note_id: str, *, sign: bool) -> None:
        draft = self.drafts[note_id]
        owner = self.patients[draft.patient].owner
        if sign and not draft.process:
            saved = self.legit(owner, lambda s: lifecycle.sign_note(s, note_id, PASSWORDS[owner]))
        else:
            form, answers = ("process-note", PROCESS) if draft.process else ("preparation", {})
            saved = self.legit(
                owner,
                lambda s: lifecycle.save_draft(
                    s,
                    draft.patient,
                    form,
                    answers or PREPARATION,
                    note_id=note_id,
                    expected_version=draft.version,
                ),
            )
        if saved is None:
            return
        self.written(draft.patient, note_id, saved.ref.version, owner, process=draft.process)
        if sign and not draft.process:
            del self.drafts[note_id]
        else:
            draft.version = saved.ref.version

    def do_grant(self, data: st.DataObject) -> None:
        patient_id = data.draw(st.sampled_from(list(self.patients)))
        owner = self.patients[patient_id].owner
        target = data.draw(st.sampled_from([u for u in USERS if u != owner]))
        result = self.legit(owner, lambda s: access.grant(s, patient_id, target))
        if result is None:
            return
        assert result == "granted"
        self.authorise(patient_id, target)
        self._remember_wraps()

    def do_request_grant(self, data: st.DataObject) -> None:
        patient_id = data.draw(st.sampled_from(list(self.patients)))
        patient = self.patients[patient_id]
        target = data.draw(st.sampled_from([u for u in USERS if u not in patient.readers] or [""]))
        if not target:
            return
        asker = data.draw(st.sampled_from(USERS))
        if asker == "ada" and data.draw(st.booleans()):
            result = self.legit(asker, lambda s: access.grant(s, patient_id, target))
        else:
            result = self.legit(asker, lambda s: access.request_grant(s, patient_id, target))
        if result is None:
            return
        assert result == "pending"  # a request alone wraps nothing (the invariants check it)
        self.requests[(patient_id, target)] = None

    def do_approve(self, data: st.DataObject) -> None:
        if not self.requests:
            return
        patient_id, target = data.draw(st.sampled_from(list(self.requests)))
        owner = self.patients[patient_id].owner
        done = self.legit(owner, lambda s: access.approve_grant(s, patient_id, target) or True)
        if done is None:
            return
        self.authorise(patient_id, target)
        self._remember_wraps()

    def do_revoke(self, data: st.DataObject) -> None:
        patient_id = data.draw(st.sampled_from(list(self.patients)))
        patient = self.patients[patient_id]
        others = sorted(patient.readers - {patient.owner})
        if not others:
            return
        target = data.draw(st.sampled_from(others))
        revoker = data.draw(st.sampled_from([patient.owner, "ada"]))
        if self.legit(revoker, lambda s: access.revoke(s, patient_id, target) or True) is None:
            return
        patient.readers.discard(target)
        self.requests.pop((patient_id, target), None)
        self._remember_wraps()

    def do_propose_supervisor(self, data: st.DataObject) -> None:
        sup = data.draw(st.sampled_from(SUPERVISORS))
        ther = data.draw(st.sampled_from(THERAPISTS))
        if sup in self.supervisors[ther]:
            return
        if self.legit("ada", lambda s: access.assign_supervisor(s, sup, ther)) is not None:
            self.proposals[(sup, ther)] = None

    def do_accept_supervisor(self, data: st.DataObject) -> None:
        if not self.proposals:
            return
        sup, ther = data.draw(st.sampled_from(list(self.proposals)))
        if self.legit(ther, lambda s: access.accept_supervisor(s, sup)) is None:
            return
        self.proposals.pop((sup, ther), None)
        self.supervisors[ther].add(sup)
        for patient_id, patient in self.patients.items():
            if patient.owner == ther:
                self.authorise(patient_id, sup)
        self._remember_wraps()

    # ------------------------------------------------------------------- the attacker's acts
    def _pick(self, data: st.DataObject, table: str, cols: str) -> tuple[Any, ...] | None:
        rows = query(self.location, f"SELECT {cols} FROM {table}")  # noqa: S608
        if not rows:
            return None
        return tuple(data.draw(st.sampled_from(self.stable(rows))))

    def _any_user(self, data: st.DataObject) -> str:
        names = [*USERS, *(["mallory"] if self.mallory else [])]
        name = data.draw(st.sampled_from(names))
        return self.mallory.user_id if name == "mallory" and self.mallory else self.ids[name]

    def attack_user(self, data: st.DataObject) -> None:
        column = data.draw(st.sampled_from(["role", "active", "keys"]))
        uid = self._any_user(data)
        rows = query(self.location, "SELECT role, active FROM users WHERE user_id = ?", (uid,))
        if not rows:
            return
        role, active = rows[0]
        if column == "role":  # always a different role: escalation or demotion
            new_role = data.draw(st.sampled_from([r for r in ROLES if r != role]))
            sql = [("UPDATE users SET role = ? WHERE user_id = ?", (new_role, uid))]
        elif column == "active":
            sql = [("UPDATE users SET active = ? WHERE user_id = ?", (not active, uid))]
        else:  # someone else's public keys under this user's name
            other = self._any_user(data)
            sql = [
                (
                    "UPDATE users SET"
                    " box_public = (SELECT box_public FROM users WHERE user_id = ?),"
                    " signing_public = (SELECT signing_public FROM users WHERE user_id = ?)"
                    " WHERE user_id = ?",
                    (other, other, uid),
                )
            ]
        self.attack(f"users.{column} of {uid}", sql)

    def attack_supervision(self, data: st.DataObject) -> None:
        insert = data.draw(st.booleans())
        if insert:
            sup = self._any_user(data)
            ther = self.ids[data.draw(st.sampled_from(THERAPISTS))]
            sql = [
                ("INSERT INTO supervision (supervisor_id, therapist_id) VALUES (?, ?)", (sup, ther))
            ]
        else:
            row = self._pick(data, "supervision", "supervisor_id, therapist_id")
            if row is None:
                return
            sql = [("DELETE FROM supervision WHERE supervisor_id = ? AND therapist_id = ?", row)]
        self.attack(f"supervision insert={insert}", sql)

    def attack_patient(self, data: st.DataObject) -> None:
        column = data.draw(st.sampled_from(["owner", "epoch"]))
        row = self._pick(data, "patients", "patient_id, epoch")
        if row is None:
            return
        patient_id, epoch = row
        if column == "owner":
            owner = self._any_user(data)
            sql = [("UPDATE patients SET owner_id = ? WHERE patient_id = ?", (owner, patient_id))]
        else:
            new = data.draw(st.sampled_from(sorted({1, max(1, int(epoch) - 1), int(epoch) + 1})))
            sql = [("UPDATE patients SET epoch = ? WHERE patient_id = ?", (new, patient_id))]
        self.attack(f"patients.{column} of {patient_id}", sql)

    def attack_wrap(self, data: st.DataObject) -> None:
        how = data.draw(st.sampled_from(["restore", "recipient", "delete", "epoch"]))
        if how == "restore":  # put back a wrap seen earlier (e.g. one that was revoked)
            if not self.seen_wraps:
                return
            p, e, r, s = data.draw(st.sampled_from(list(self.seen_wraps)))
            sql = [
                (
                    "DELETE FROM wraps WHERE patient_id = ? AND epoch = ? AND recipient = ?",
                    (p, e, r),
                ),
                (
                    "INSERT INTO wraps (patient_id, epoch, recipient, sealed) VALUES (?, ?, ?, ?)",
                    (p, e, r, s),
                ),
            ]
        else:
            row = self._pick(data, "wraps", "patient_id, epoch, recipient")
            if row is None:
                return
            if how == "recipient":
                sql = [(_WRAP_SQL["recipient"], (self._any_user(data), *row))]
            else:
                sql = [(_WRAP_SQL[how], row)]
        self.attack(f"wraps {how}", sql)

    def attack_pending_grant(self, data: st.DataObject) -> None:
        insert = data.draw(st.booleans())
        if insert:
            if not self.patients:
                return
            patient_id = data.draw(st.sampled_from(list(self.patients)))
            sql = [
                (
                    "INSERT INTO pending_grants (patient_id, user_id) VALUES (?, ?)",
                    (patient_id, self._any_user(data)),
                )
            ]
        else:
            row = self._pick(data, "pending_grants", "patient_id, user_id")
            if row is None:
                return
            sql = [("DELETE FROM pending_grants WHERE patient_id = ? AND user_id = ?", row)]
        self.attack(f"pending_grants insert={insert}", sql)

    def attack_record(self, data: st.DataObject) -> None:
        how = data.draw(st.sampled_from(["rewind", "move", "old-blob", "drop-head"]))
        row = self._pick(data, "records", "record_id, patient_id, version")
        if row is None:
            return
        record_id, patient_id, version = row[0], row[1], int(row[2])
        if how == "rewind" and version > 1:
            sql = [
                ("UPDATE records SET version = ? WHERE record_id = ?", (version - 1, record_id)),
                (
                    "DELETE FROM record_versions WHERE record_id = ? AND version = ?",
                    (record_id, version),
                ),
            ]
        elif how == "move":
            others = [p for p in self.patients if p != patient_id]
            if not others:
                return
            target = data.draw(st.sampled_from(others))
            sql = [("UPDATE records SET patient_id = ? WHERE record_id = ?", (target, record_id))]
        elif how == "old-blob" and version > 1:
            sql = [
                (
                    "UPDATE record_versions SET blob = (SELECT blob FROM record_versions"
                    " WHERE record_id = ? AND version = ?) WHERE record_id = ? AND version = ?",
                    (record_id, version - 1, record_id, version),
                )
            ]
        elif how == "drop-head":
            sql = [
                ("DELETE FROM record_versions WHERE record_id = ?", (record_id,)),
                ("DELETE FROM records WHERE record_id = ?", (record_id,)),
            ]
        else:
            return
        self.attack(f"record {how} {record_id}", sql)

    def attack_audit(self, data: st.DataObject) -> None:
        how = data.draw(st.sampled_from(["zero-signature", "actor", "delete"]))
        rows = query(self.location, "SELECT seq FROM audit ORDER BY seq")
        # the tail is left alone: truncation is caught only against an off-host checkpoint
        seq = int(data.draw(st.sampled_from([r[0] for r in rows[:-1]])))
        if how == "zero-signature":
            sql = [("UPDATE audit SET signature = ? WHERE seq = ?", (b"\x00" * 64, seq))]
        elif how == "actor":
            sql = [("UPDATE audit SET actor = ? WHERE seq = ?", (self._any_user(data), seq))]
        else:
            sql = [("DELETE FROM audit WHERE seq = ?", (seq,))]
        self.attack(f"audit {how} at {seq}", sql)

    def attack_signed_act(self, data: st.DataObject) -> None:
        """theo (or the forged user) signs, with their own key, an act they have no right to."""
        act = data.draw(st.sampled_from(FORGED_ACTS))
        foreign = [p for p, m in self.patients.items() if m.owner != "theo"]
        if not foreign:
            return
        patient_id = data.draw(st.sampled_from(foreign))
        signer = "mallory" if self.mallory and data.draw(st.booleans()) else "theo"
        pair = self.mallory.keys if signer == "mallory" and self.mallory else self.keys["theo"]
        actor = self.mallory.user_id if signer == "mallory" and self.mallory else self.ids["theo"]
        fields: dict[str, Any] = {"patient": patient_id}
        if act == "update":
            versions = query(
                self.location,
                "SELECT record_id, version FROM records WHERE patient_id = ?",
                (patient_id,),
            )
            if not versions:
                return
            record_id, version = data.draw(st.sampled_from(self.stable(versions)))
            fields |= {"record": record_id, "version": int(version) + 1}
            fields["blob_sha256"] = crypto.sha256(b"forged").hex()
        elif act in ("grant", "revoke"):
            fields |= {"record": actor, "data": {"user": actor}}
        elif act == "supervise":
            fields = {"record": actor, "data": {"supervisor": actor, "therapist": self.ids["tess"]}}
        elif act == "user_add":
            fields = {"record": actor, "data": {"name": "eve", "role": "admin"}}
        elif act == "rotate":
            if signer == "theo" and "theo" in self.patients[patient_id].readers:
                return  # a current reader may rotate
            epoch = int(
                query(
                    self.location, "SELECT epoch FROM patients WHERE patient_id = ?", (patient_id,)
                )[0][0]
            )
            fields["data"] = {"epoch": epoch + 1, "wraps": []}
        before = self.snapshot()
        with self.opened() as vault:
            append_signed(vault.store, pair, actor, act, **fields)
        self.after_attack(f"{act} signed by {signer} on {patient_id}", before)

    def attack_forge_user(self, data: st.DataObject) -> None:
        if self.mallory is not None:
            return
        role = data.draw(st.sampled_from(ROLES))
        before = self.snapshot()
        with self.opened() as vault:
            self.mallory = forge_user(vault.store, self.location, self.vault_id, "mallory", role)
        self.labels[self.mallory.user_id] = "mallory"
        self.keys["mallory"] = self.mallory.keys
        targets = data.draw(st.lists(st.sampled_from(list(self.patients) or [""]), max_size=3))
        with raw_db(self.location) as db:
            for patient_id in {t for t in targets if t}:
                db.execute(
                    "INSERT INTO pending_grants (patient_id, user_id) VALUES (?, ?)",
                    (patient_id, self.mallory.user_id),
                )
        self.after_attack(f"forged {role} mallory", before)

    # -------------------------------------------------------------------------- the steps
    @rule(data=st.data(), act=st.sampled_from(LEGIT))
    def clinician(self, data: st.DataObject, act: str) -> None:
        """Someone in the clinic does their work through the library."""
        getattr(self, f"do_{act}")(data)

    @rule(data=st.data(), kind=st.sampled_from(ATTACKS))
    def attacker(self, data: st.DataObject, kind: str) -> None:
        """The database writer edits rows, or appends entries signed with their own key."""
        getattr(self, f"attack_{kind}")(data)

    # ------------------------------------------------------------------------- invariants
    @invariant()
    def no_key_opens_what_its_holder_was_never_given(self) -> None:
        for name, pair in self.keys.items():
            for version in decryptable(self.location, self.vault_id, pair):
                assert name in self.allowed.get(version, set()), (
                    f"{name}'s own key decrypts {version}, which they were never given"
                )

    @invariant()
    def the_library_shows_nobody_what_they_were_never_given(self) -> None:
        for name in USERS:
            try:
                with self.session(name) as session:
                    shown = self.library_view(session)
            except VaultError:
                assert self.tainted, f"{name}'s unlock refused an untampered vault"
                continue
            for key in shown:
                assert name in self.allowed.get(key, set()), (
                    f"the library shows {name} {key}, which they were never given"
                )

    def library_view(self, session: Session) -> set[tuple[str, int]]:
        """Every record version ``read_patient`` hands this session, patient by patient."""
        shown: set[tuple[str, int]] = set()
        for patient_id in self.patients:
            with contextlib.suppress(*REFUSALS):
                shown |= {(r.record_id, r.version) for r in session.read_patient(patient_id)}
        return shown

    @invariant()
    def an_untampered_vault_verifies(self) -> None:
        if not self.tainted:
            report = self.verify()
            assert report.ok, report.problems


def test_policy_state_machine(vault_locations: Callable[[], str]) -> None:
    class Bound(PolicyMachine):
        new_location = staticmethod(vault_locations)

    run_state_machine_as_test(
        Bound,
        settings=settings(
            max_examples=5,
            stateful_step_count=16,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
