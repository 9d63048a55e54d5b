"""SQLite backend: one file per vault, WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE``."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kap_notes.vault import faults
from kap_notes.vault.audit import WRITE_ACTIONS
from kap_notes.vault.errors import StaleVersion, VaultError
from kap_notes.vault.store import (
    DUMPABLE,
    AuditBuilder,
    AuditRow,
    PatientRow,
    RecordRow,
    Store,
    UserRow,
)

DB_NAME = "vault.sqlite"
GENESIS = b"\x00" * 32
_BUSY_TIMEOUT_MS = 60_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
    box_public BLOB NOT NULL, signing_public BLOB NOT NULL,
    key_wrap TEXT NOT NULL, recovery_wrap TEXT, active INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS supervision (
    supervisor_id TEXT NOT NULL, therapist_id TEXT NOT NULL,
    PRIMARY KEY (supervisor_id, therapist_id));
CREATE TABLE IF NOT EXISTS patients (
    patient_id TEXT PRIMARY KEY, epoch INTEGER NOT NULL, owner_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS wraps (
    patient_id TEXT NOT NULL, epoch INTEGER NOT NULL, recipient TEXT NOT NULL, sealed BLOB NOT NULL,
    PRIMARY KEY (patient_id, epoch, recipient));
CREATE INDEX IF NOT EXISTS wraps_by_recipient ON wraps (recipient);
CREATE TABLE IF NOT EXISTS pending_grants (
    patient_id TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (patient_id, user_id));
CREATE TABLE IF NOT EXISTS records (
    record_id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, version INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS records_by_patient ON records (patient_id);
CREATE TABLE IF NOT EXISTS record_versions (
    record_id TEXT NOT NULL, version INTEGER NOT NULL, blob BLOB NOT NULL,
    PRIMARY KEY (record_id, version));
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, entry BLOB NOT NULL, hash BLOB NOT NULL, signature BLOB NOT NULL,
    actor TEXT NOT NULL, action TEXT NOT NULL, patient TEXT, record TEXT, ts TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_by_patient ON audit (patient);
CREATE INDEX IF NOT EXISTS audit_by_record ON audit (record, seq);
"""


Fault = Callable[[sqlite3.Error], Exception | None]


class _Cursor(sqlite3.Cursor):
    """A cursor that raises storage faults (disk full, read-only, I/O) as kap-notes errors."""

    def _fault(self, exc: sqlite3.Error) -> Exception:
        fault: Fault | None = getattr(self.connection, "fault", None)
        found = fault(exc) if fault is not None else None
        return exc if found is None else found

    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:
        try:
            super().execute(sql, parameters)
        except sqlite3.Error as exc:
            raise self._fault(exc) from exc
        return self

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.Error as exc:
            raise self._fault(exc) from exc

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.Error as exc:
            raise self._fault(exc) from exc

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.Error as exc:
            raise self._fault(exc) from exc


class _Connection(sqlite3.Connection):
    """``execute`` returns a :class:`_Cursor`; ``fault`` translates storage errors."""

    fault: Fault | None = None

    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:
        return self.cursor(_Cursor).execute(sql, parameters)


def _rollback(db: sqlite3.Connection) -> None:
    """Roll back after an error; SQLite may already have (disk full, I/O error)."""
    if db.in_transaction:
        with contextlib.suppress(Exception):
            db.execute("ROLLBACK")


def _alive(thread: weakref.ref[threading.Thread]) -> bool:
    found = thread()
    return found is not None and found.is_alive()


def _close_all(conns: list[tuple[weakref.ref[threading.Thread], sqlite3.Connection]]) -> None:
    for _thread, conn in conns:
        conn.close()
    conns.clear()


class SqliteStore(Store):
    """A vault stored in ``DIR/vault.sqlite``. Refuses to fall back to anything else.

    Each thread gets its own connection; the store keeps every one, so :meth:`close` (from any
    thread) closes them all, and a connection whose thread ended is closed when the next one
    opens. Disk full, read-only, I/O and busy errors are raised as
    :class:`~kap_notes.errors.StorageFull` / :class:`~kap_notes.errors.StorageUnavailable`.
    """

    def __init__(self, directory: Path, *, create: bool = False) -> None:
        self.path = Path(directory) / DB_NAME
        if not create and not self.path.exists():
            raise VaultError(f"no vault database at {self.path}")
        self._local = threading.local()
        self._conns: list[tuple[weakref.ref[threading.Thread], sqlite3.Connection]] = []
        self._conns_lock = threading.Lock()
        self._generation = 0
        self._finalizer = weakref.finalize(self, _close_all, self._conns)
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.path.parent.chmod(0o700)
            self._db.executescript(_SCHEMA)
            if self.path.stat().st_mode & 0o777 != 0o600:
                self.path.chmod(0o600)
        except OSError as exc:
            self.close()
            raise faults.os_fault(exc, self.path.parent, writing=create) or exc from exc
        except BaseException:
            self.close()
            raise

    def _fault(self, exc: sqlite3.Error) -> Exception | None:
        return faults.sqlite_fault(
            exc,
            self.path.parent,
            writing=self._in_tx,
            busy_seconds=_BUSY_TIMEOUT_MS // 1000,
        )

    @property
    def _in_tx(self) -> bool:
        """Whether this thread has a transaction open (connections are per thread)."""
        return bool(getattr(self._local, "in_tx", False))

    @_in_tx.setter
    def _in_tx(self, value: bool) -> None:
        self._local.in_tx = value

    @property
    def _db(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "generation", -1) != self._generation:
            generation = self._generation
            conn = self._connect()
            self._local.conn, self._local.generation = conn, generation
        return conn

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                timeout=_BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,  # so that close() can close every thread's connection
                factory=_Connection,
            )
        except sqlite3.Error as exc:
            raise self._fault(exc) or exc from exc
        store = weakref.ref(self)  # a connection must not keep its store alive

        def fault(exc: sqlite3.Error) -> Exception | None:
            found = store()
            return None if found is None else found._fault(exc)

        conn.fault = fault
        try:
            conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA secure_delete=ON")
            conn.execute("PRAGMA foreign_keys=ON")
        except BaseException:
            conn.close()
            raise
        with self._conns_lock:
            live = [(t, c) for t, c in self._conns if _alive(t)]
            ended = [c for t, c in self._conns if not _alive(t)]
            self._conns[:] = [*live, (weakref.ref(threading.current_thread()), conn)]
        for old in ended:  # their threads are gone: nobody is using them
            old.close()
        return conn

    def open_connections(self) -> int:
        """How many connections this store holds open (for tests and benchmarks)."""
        with self._conns_lock:
            return len(self._conns)

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[None]:
        db = self._db
        self._in_tx = True
        if not durable:
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: consistent, not yet on disk
        try:
            db.execute("BEGIN IMMEDIATE")
            yield
            db.execute("COMMIT")
        except BaseException:
            _rollback(db)
            raise
        finally:
            self._in_tx = False
            if not durable:
                db.execute("PRAGMA synchronous=FULL")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        if self._in_tx:
            yield
            return
        db = self._db
        db.execute("BEGIN")
        try:
            yield
        except BaseException:
            _rollback(db)
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        """Close every thread's connection (a later use opens new ones)."""
        with self._conns_lock:
            self._generation += 1
            conns = list(self._conns)
            self._conns.clear()
        for _thread, conn in conns:
            conn.close()
        self._local.conn = None

    def _write(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        if not self._in_tx:
            raise RuntimeError("write outside a transaction")
        return self._db.execute(sql, params)

    # meta -----------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._write("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # users ----------------------------------------------------------------------------------
    _USER_COLS = "user_id, name, role, box_public, signing_public, key_wrap, recovery_wrap, active"

    @staticmethod
    def _user(row: tuple[Any, ...] | None) -> UserRow | None:
        if row is None:
            return None
        uid, name, role, box, sig, wrap, rec, active = row
        return UserRow(
            str(uid),
            str(name),
            str(role),
            bytes(box),
            bytes(sig),
            str(wrap),
            None if rec is None else str(rec),
            bool(active),
        )

    def add_user(self, user: UserRow) -> None:
        self._write(
            f"INSERT INTO users ({self._USER_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                user.user_id,
                user.name,
                user.role,
                user.box_public,
                user.signing_public,
                user.key_wrap,
                user.recovery_wrap,
                int(user.active),
            ),
        )

    def update_user_wraps(self, user_id: str, key_wrap: str, recovery_wrap: str | None) -> None:
        self._write(
            "UPDATE users SET key_wrap = ?, recovery_wrap = ? WHERE user_id = ?",
            (key_wrap, recovery_wrap, user_id),
        )

    def get_user(self, user_id: str) -> UserRow | None:
        sql = f"SELECT {self._USER_COLS} FROM users WHERE user_id = ?"
        return self._user(self._db.execute(sql, (user_id,)).fetchone())

    def get_user_by_name(self, name: str) -> UserRow | None:
        sql = f"SELECT {self._USER_COLS} FROM users WHERE name = ?"
        return self._user(self._db.execute(sql, (name,)).fetchone())

    def list_users(self) -> list[UserRow]:
        rows = self._db.execute(f"SELECT {self._USER_COLS} FROM users ORDER BY name").fetchall()
        return [u for u in map(self._user, rows) if u is not None]

    # supervision ----------------------------------------------------------------------------
    def add_supervision(self, supervisor_id: str, therapist_id: str) -> None:
        self._write(
            "INSERT OR IGNORE INTO supervision (supervisor_id, therapist_id) VALUES (?, ?)",
            (supervisor_id, therapist_id),
        )

    # patients and wraps ---------------------------------------------------------------------
    def add_patient(self, patient: PatientRow) -> None:
        self._write(
            "INSERT INTO patients (patient_id, epoch, owner_id) VALUES (?, ?, ?)",
            (patient.patient_id, patient.epoch, patient.owner_id),
        )

    def set_patient_epoch(self, patient_id: str, epoch: int) -> None:
        self._write("UPDATE patients SET epoch = ? WHERE patient_id = ?", (epoch, patient_id))

    def list_patients(self) -> list[PatientRow]:
        rows = self._db.execute("SELECT patient_id, epoch, owner_id FROM patients ORDER BY 1")
        return [PatientRow(str(r[0]), int(r[1]), str(r[2])) for r in rows]

    def put_wrap(self, patient_id: str, epoch: int, recipient: str, sealed: bytes) -> None:
        self._write(
            "INSERT OR REPLACE INTO wraps (patient_id, epoch, recipient, sealed) VALUES (?,?,?,?)",
            (patient_id, epoch, recipient, sealed),
        )

    def get_wrap(self, patient_id: str, epoch: int, recipient: str) -> bytes | None:
        row = self._db.execute(
            "SELECT sealed FROM wraps WHERE patient_id = ? AND epoch = ? AND recipient = ?",
            (patient_id, epoch, recipient),
        ).fetchone()
        return None if row is None else bytes(row[0])

    def wrap_recipients(self, patient_id: str, epoch: int) -> list[str]:
        sql = "SELECT recipient FROM wraps WHERE patient_id = ? AND epoch = ? ORDER BY 1"
        return [str(r[0]) for r in self._db.execute(sql, (patient_id, epoch))]

    def patients_with_wrap_for(self, recipient: str) -> list[str]:
        sql = "SELECT DISTINCT patient_id FROM wraps WHERE recipient = ? ORDER BY 1"
        return [str(r[0]) for r in self._db.execute(sql, (recipient,))]

    def forget_patient_lists(self, user_id: str | None = None) -> None:
        if user_id is None:
            sql = "UPDATE meta SET value = '' WHERE substr(key, 1, 13) = ?"
            self._write(sql, ("patient_list:",))
        else:
            self._write("UPDATE meta SET value = '' WHERE key = ?", ("patient_list:" + user_id,))

    def delete_wraps(self, patient_id: str, recipient: str | None = None) -> int:
        self.forget_patient_lists(recipient)
        if recipient is None:
            cur = self._write("DELETE FROM wraps WHERE patient_id = ?", (patient_id,))
        else:
            cur = self._write(
                "DELETE FROM wraps WHERE patient_id = ? AND recipient = ?", (patient_id, recipient)
            )
        return cur.rowcount

    def add_pending_grant(self, patient_id: str, user_id: str) -> None:
        self._write(
            "INSERT OR IGNORE INTO pending_grants (patient_id, user_id) VALUES (?, ?)",
            (patient_id, user_id),
        )

    def delete_pending_grant(self, patient_id: str, user_id: str) -> None:
        self._write(
            "DELETE FROM pending_grants WHERE patient_id = ? AND user_id = ?", (patient_id, user_id)
        )

    # records --------------------------------------------------------------------------------
    def insert_record(self, row: RecordRow) -> None:
        try:
            self._write(
                "INSERT INTO records (record_id, patient_id, version) VALUES (?, ?, ?)",
                (row.record_id, row.patient_id, row.version),
            )
        except sqlite3.IntegrityError as exc:
            raise StaleVersion(f"record {row.record_id} already exists") from exc
        self._insert_version(row)

    def update_record(self, row: RecordRow, expected_version: int) -> None:
        cur = self._write(
            "UPDATE records SET version = ? WHERE record_id = ? AND version = ?",
            (row.version, row.record_id, expected_version),
        )
        if cur.rowcount != 1:
            raise StaleVersion(
                f"record {row.record_id} was changed by someone else (expected version "
                f"{expected_version}); reopen it to see the newer version"
            )
        self._insert_version(row)

    def _insert_version(self, row: RecordRow) -> None:
        self._write(
            "INSERT INTO record_versions (record_id, version, blob) VALUES (?, ?, ?)",
            (row.record_id, row.version, row.blob),
        )

    def get_record(self, record_id: str, version: int | None = None) -> RecordRow | None:
        sql = (
            "SELECT r.record_id, r.patient_id, v.version, v.blob FROM records r "
            "JOIN record_versions v ON v.record_id = r.record_id "
            "WHERE r.record_id = ? AND v.version = COALESCE(?, r.version)"
        )
        row = self._db.execute(sql, (record_id, version)).fetchone()
        return None if row is None else RecordRow(str(row[0]), str(row[1]), int(row[2]), row[3])

    def latest_records(self, patient_id: str | None = None) -> Iterator[RecordRow]:
        sql = (
            "SELECT r.record_id, r.patient_id, r.version, v.blob FROM records r "
            "JOIN record_versions v ON v.record_id = r.record_id AND v.version = r.version "
        )
        # Two query shapes, so that one patient's read uses the records_by_patient index.
        rows = (
            self._db.execute(sql + "ORDER BY r.record_id")
            if patient_id is None
            else self._db.execute(
                sql + "WHERE r.patient_id = ? ORDER BY r.record_id", (patient_id,)
            )
        )
        for row in rows:
            yield RecordRow(str(row[0]), str(row[1]), int(row[2]), row[3])

    def profiles_for(self, recipient: str) -> list[RecordRow]:
        sql = """SELECT r.record_id, r.patient_id, r.version, v.blob FROM patients p
JOIN wraps w ON w.patient_id = p.patient_id AND w.epoch = p.epoch AND w.recipient = ?
JOIN records r ON r.record_id = p.patient_id
JOIN record_versions v ON v.record_id = r.record_id AND v.version = r.version
ORDER BY r.record_id"""
        rows = self._db.execute(sql, (recipient,))
        return [RecordRow(str(r[0]), str(r[1]), int(r[2]), r[3]) for r in rows]

    def wraps_for(self, recipient: str) -> dict[tuple[str, int], bytes]:
        sql = "SELECT patient_id, epoch, sealed FROM wraps WHERE recipient = ?"
        return {(str(p), int(e)): bytes(s) for p, e, s in self._db.execute(sql, (recipient,))}

    def record_ids(self, patient_id: str) -> list[tuple[str, int]]:
        sql = "SELECT record_id, version FROM records WHERE patient_id = ? ORDER BY 1"
        return [(str(r), int(v)) for r, v in self._db.execute(sql, (patient_id,))]

    def delete_versions_before(self, record_id: str, version: int) -> int:
        cur = self._write(
            "DELETE FROM record_versions WHERE record_id = ? AND version < ?", (record_id, version)
        )
        return cur.rowcount

    def delete_patient(self, patient_id: str) -> None:
        self.forget_patient_lists()
        self._write(
            "DELETE FROM record_versions WHERE record_id IN "
            "(SELECT record_id FROM records WHERE patient_id = ?)",
            (patient_id,),
        )
        self._write("DELETE FROM records WHERE patient_id = ?", (patient_id,))
        self._write("DELETE FROM wraps WHERE patient_id = ?", (patient_id,))
        self._write("DELETE FROM pending_grants WHERE patient_id = ?", (patient_id,))
        self._write("DELETE FROM patients WHERE patient_id = ?", (patient_id,))

    def record_versions(self) -> Iterator[tuple[str, int, bytes]]:
        sql = "SELECT record_id, version, blob FROM record_versions ORDER BY 1, 2"
        for record_id, version, blob in self._db.execute(sql):
            yield str(record_id), int(version), bytes(blob)

    def dump_table(self, table: str) -> list[tuple[Any, ...]]:
        if table not in DUMPABLE:
            raise ValueError(f"unknown table {table!r}")
        return [tuple(r) for r in self._db.execute(f"SELECT * FROM {table} ORDER BY 1, 2")]

    def scrub(self) -> None:
        db = self._db
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # audit ----------------------------------------------------------------------------------
    _AUDIT_COLS = "seq, entry, hash, signature, actor, action, patient, record, ts"

    @staticmethod
    def _audit(row: tuple[Any, ...]) -> AuditRow:
        seq, entry, digest, sig, actor, action, patient, record, ts = row
        return AuditRow(
            int(seq),
            bytes(entry),
            bytes(digest),
            bytes(sig),
            str(actor),
            str(action),
            None if patient is None else str(patient),
            None if record is None else str(record),
            str(ts),
        )

    def append_audit(self, build: AuditBuilder) -> AuditRow:
        head = self._db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (1, GENESIS) if head is None else (int(head[0]) + 1, bytes(head[1]))
        row = build(seq, prev)
        self._write(
            f"INSERT INTO audit ({self._AUDIT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.seq,
                row.entry,
                row.hash,
                row.signature,
                row.actor,
                row.action,
                row.patient,
                row.record,
                row.ts,
            ),
        )
        return row

    def audit_rows(self, patient_id: str | None = None, after: int = 0) -> Iterator[AuditRow]:
        sql = f"SELECT {self._AUDIT_COLS} FROM audit "
        rows = (
            self._db.execute(sql + "WHERE seq > ? ORDER BY seq", (after,))
            if patient_id is None
            else self._db.execute(sql + "WHERE patient = ? ORDER BY seq", (patient_id,))
        )
        for row in rows:
            yield self._audit(row)

    def find_audit(self, action: str, record: str) -> AuditRow | None:
        sql = (
            f"SELECT {self._AUDIT_COLS} FROM audit WHERE action = ? AND record = ? "
            "ORDER BY seq DESC LIMIT 1"
        )
        row = self._db.execute(sql, (action, record)).fetchone()
        return None if row is None else self._audit(row)

    def shredded_patients(self) -> set[str]:
        sql = "SELECT DISTINCT patient FROM audit WHERE action = 'shred' AND patient IS NOT NULL"
        return {str(r[0]) for r in self._db.execute(sql)}

    def latest_audited_writes(self) -> dict[str, tuple[str | None, int, str]]:
        marks = ",".join("?" for _ in WRITE_ACTIONS)
        sql = (
            "SELECT a.record, a.patient, a.entry FROM audit a JOIN "
            "(SELECT record, MAX(seq) AS seq FROM audit "
            f"WHERE action IN ({marks}) AND record IS NOT NULL GROUP BY record) m ON a.seq = m.seq"
        )
        out: dict[str, tuple[str | None, int, str]] = {}
        for record, patient, entry in self._db.execute(sql, WRITE_ACTIONS):
            fields = json.loads(entry)
            out[str(record)] = (patient, int(fields["version"]), str(fields["blob_sha256"]))
        return out
