"""PostgreSQL backend for group practices: one database per vault, shared by many servers.

Same shape and the same opaque blobs (``bytea``) as the SQLite backend. Design:

* **One writer at a time, like SQLite's ``BEGIN IMMEDIATE``.** Every write transaction starts
  with ``SELECT … FROM write_lock … FOR UPDATE`` on a one-row table. Writers on other machines
  queue on that row lock, so the audit chain head (the newest ``audit`` row, read after the lock
  is held) can never be taken by two writers at once: the chain stays one unbroken line. The
  transaction runs at READ COMMITTED, so every statement after the lock sees every write
  committed before it (the epoch re-check and the record version check see the truth).
* **Optimistic versions.** ``UPDATE records … WHERE version = expected``; zero rows → StaleVersion.
* **Snapshots.** ``snapshot()`` is a REPEATABLE READ, READ ONLY transaction: one consistent view.
* **Migrations.** ``schema_version`` holds the applied step; :data:`MIGRATIONS` are applied in
  order, under an advisory lock, when a vault is created or opened by a newer kap-notes.
* **Connections.** One per thread (the Jupyter server uses threads) and per process (a forked
  child never touches its parent's connection); a broken connection is replaced on next use.
* **TLS.** The URL is handed to libpq unchanged (``sslmode``, ``sslrootcert``, ``sslcert``…).
  A server that is not on this machine must be reached with ``sslmode=require`` or stronger;
  libpq's default (``prefer``) would silently fall back to plaintext, so it is refused.
* **Scrub.** ``VACUUM FULL`` rewrites the tables that held shredded rows (and their TOAST and
  indexes) into new files; the old files are truncated. Statistics are never gathered on blob
  and wrap columns, so no sample of them lands in ``pg_statistic``. Limits: the bytes stay in
  WAL segments until they are recycled, in WAL archives and base backups, on replicas, and in
  blocks of the disk the filesystem freed. See docs/deploy.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import conninfo, errors

from kap_notes.vault import faults
from kap_notes.vault.audit import WRITE_ACTIONS
from kap_notes.vault.errors import StaleVersion, VaultError, VaultNotFound
from kap_notes.vault.store import (
    DUMPABLE,
    AuditBuilder,
    AuditRow,
    PatientRow,
    RecordRow,
    Store,
    UserRow,
)

GENESIS = b"\x00" * 32
SCHEMES = ("postgresql", "postgres")
_MIGRATION_LOCK = 0x6B61_706E  # "kapn": serialises schema migrations of one database
_LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}
_SECURE_SSLMODES = {"require", "verify-ca", "verify-full"}
_LOCK_TIMEOUT_S = 60
_T = TypeVar("_T")

#: Ordered schema steps. Never edit a released step: append a new one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            "CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL)",
            "CREATE TABLE users (user_id text PRIMARY KEY, name text NOT NULL UNIQUE,"
            " role text NOT NULL, box_public bytea NOT NULL, signing_public bytea NOT NULL,"
            " key_wrap text NOT NULL, recovery_wrap text, active boolean NOT NULL DEFAULT true)",
            "CREATE TABLE supervision (supervisor_id text NOT NULL, therapist_id text NOT NULL,"
            " PRIMARY KEY (supervisor_id, therapist_id))",
            "CREATE TABLE patients (patient_id text PRIMARY KEY, epoch integer NOT NULL,"
            " owner_id text NOT NULL)",
            "CREATE TABLE wraps (patient_id text NOT NULL, epoch integer NOT NULL,"
            " recipient text NOT NULL, sealed bytea NOT NULL,"
            " PRIMARY KEY (patient_id, epoch, recipient))",
            "CREATE INDEX wraps_by_recipient ON wraps (recipient)",
            "CREATE TABLE pending_grants (patient_id text NOT NULL, user_id text NOT NULL,"
            " PRIMARY KEY (patient_id, user_id))",
            "CREATE TABLE records (record_id text PRIMARY KEY, patient_id text NOT NULL,"
            " version integer NOT NULL)",
            "CREATE INDEX records_by_patient ON records (patient_id)",
            "CREATE TABLE record_versions (record_id text NOT NULL, version integer NOT NULL,"
            " blob bytea NOT NULL, PRIMARY KEY (record_id, version))",
            "CREATE TABLE audit (seq bigint PRIMARY KEY, entry bytea NOT NULL,"
            " hash bytea NOT NULL, signature bytea NOT NULL, actor text NOT NULL,"
            " action text NOT NULL, patient text, record text, ts text NOT NULL)",
            "CREATE INDEX audit_by_patient ON audit (patient)",
            "CREATE INDEX audit_by_record ON audit (record, seq)",
            "CREATE TABLE write_lock (one boolean PRIMARY KEY DEFAULT true CHECK (one))",
            "INSERT INTO write_lock DEFAULT VALUES",
            # ciphertext is incompressible, and samples of it must never reach pg_statistic
            "ALTER TABLE record_versions ALTER COLUMN blob SET STORAGE EXTERNAL",
            "ALTER TABLE record_versions ALTER COLUMN blob SET STATISTICS 0",
            "ALTER TABLE wraps ALTER COLUMN sealed SET STATISTICS 0",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

#: Tables whose rows crypto-shredding deletes; ``scrub`` rewrites them.
_SHREDDED_TABLES = ("record_versions", "records", "wraps", "pending_grants", "patients")


def is_postgres_url(location: str) -> bool:
    """True for ``postgresql://…`` and ``postgres://…`` locations."""
    return location.split("://", 1)[0].lower() in SCHEMES and "://" in location


def redact(url: str) -> str:
    """The URL without its password, for messages and ``Vault.location``."""
    try:
        params = conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(unparseable URL)"
    user = f"{params['user']}@" if params.get("user") else ""
    host = str(params.get("host") or "")
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgresql://{user}{host}{port}/{params.get('dbname') or ''}"


def _check_tls(url: str) -> None:
    """Refuse plaintext-capable settings for servers on another machine (never fall back)."""
    params = conninfo.conninfo_to_dict(url)
    hosts = str(params.get("host") or os.environ.get("PGHOST", "")).split(",")
    remote = [h for h in hosts if h.strip() not in _LOCAL_HOSTS and not h.startswith("/")]
    sslmode = str(params.get("sslmode") or os.environ.get("PGSSLMODE") or "prefer")
    if remote and sslmode not in _SECURE_SSLMODES:
        raise VaultError(
            f"{redact(url)} is on another machine: add ?sslmode=verify-full (with sslrootcert) "
            f"to the vault URL; sslmode={sslmode} may send records over the network unencrypted"
        )


def _close_connections(conns: list[tuple[int, psycopg.Connection[Any]]]) -> None:
    """Close this process's connections (a forked child leaves its parent's alone)."""
    pid = os.getpid()
    for owner, conn in conns:
        if owner == pid and not conn.closed:
            conn.close()
    conns.clear()


def _rollback(db: psycopg.Connection[Any]) -> None:
    """End a failed transaction (nothing to do on a broken connection: the server did)."""
    if not db.broken and not db.closed:
        with contextlib.suppress(psycopg.Error):
            db.execute("ROLLBACK")


class PostgresStore(Store):
    """A vault in one PostgreSQL database. Refuses to fall back to anything else."""

    def __init__(self, url: str, *, create: bool = False) -> None:
        if not is_postgres_url(url):
            raise VaultError(f"not a PostgreSQL URL: {redact(url)}")
        _check_tls(url)
        self.url = url
        self.location = redact(url)
        self._local = threading.local()
        self._conns: list[tuple[int, psycopg.Connection[Any]]] = []
        self._conns_lock = threading.Lock()
        self._finalizer = weakref.finalize(self, _close_connections, self._conns)
        try:
            self._migrate(create=create)
        except psycopg.Error as exc:
            self.close()
            raise self._fault(exc, writing=create) or exc from exc
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ connections
    @property
    def _db(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken or self._local.pid != os.getpid():
            conn = self._connect()
            self._local.conn, self._local.pid = conn, os.getpid()
            self._local.depth = 0
        return conn

    def _connect(self) -> psycopg.Connection[Any]:
        params = conninfo.conninfo_to_dict(self.url)
        params.setdefault("application_name", "kap-notes")
        params.setdefault("connect_timeout", 10)
        try:
            conn = psycopg.connect(conninfo.make_conninfo("", **params), autocommit=True)
        except psycopg.OperationalError as exc:
            raise faults.unreachable(
                self.location, writing=self._depth == 2, reason=str(exc)
            ) from exc
        with self._conns_lock:
            self._conns.append((os.getpid(), conn))
        return conn

    @property
    def _depth(self) -> int:
        """0 outside any transaction, 1 in a snapshot, 2 in a write transaction."""
        return int(getattr(self._local, "depth", 0))

    def _migrate(self, *, create: bool) -> None:
        db = self._db
        row = db.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
        exists = bool(row and row[0])
        if not exists and not create:
            raise VaultNotFound(
                f"no kap-notes vault in {self.location} (create one with `kap-notes init`)"
            )
        current = self._schema_version() if exists else 0
        if current == SCHEMA_VERSION:
            return
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY)")
            current = self._schema_version()
            if current > SCHEMA_VERSION:
                raise VaultError(
                    f"the vault in {self.location} has schema version {current}; this kap-notes "
                    f"knows up to {SCHEMA_VERSION}: upgrade kap-notes"
                )
            for version, statements in MIGRATIONS:
                if version > current:
                    for statement in statements:
                        db.execute(statement)
                    db.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))

    def _schema_version(self) -> int:
        row = self._db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    def has_vault(self) -> bool:
        """True once ``Vault.init`` has stored the vault's identity here."""
        return self.get_meta("vault_id") is not None

    def _fault(
        self, exc: psycopg.Error, *, writing: bool, committing: bool = False
    ) -> VaultError | None:
        """The storage fault ``exc`` is (disk full, busy, read-only, unreachable), or None."""
        if isinstance(exc, errors.DiskFull):
            return faults.disk_full(self.location, writing=writing)
        if isinstance(exc, errors.LockNotAvailable):
            return faults.busy(_LOCK_TIMEOUT_S, writing=writing)
        if isinstance(exc, errors.ReadOnlySqlTransaction) and writing:
            return faults.database_read_only(self.location, writing=writing)
        if isinstance(exc, psycopg.OperationalError):
            if committing:
                return faults.lost_while_saving(self.location)
            return faults.unreachable(self.location, writing=writing, reason=str(exc))
        return None

    def _begin(self, statements: Sequence[str], *, writing: bool) -> psycopg.Connection[Any]:
        """Open a transaction. A connection that died while idle (the server restarted) is
        replaced once: nothing was sent on it yet."""
        for attempt in (0, 1):
            db = self._db
            try:
                for statement in statements:
                    db.execute(statement)
            except psycopg.Error as exc:
                _rollback(db)
                if attempt == 0 and db.broken and isinstance(exc, psycopg.OperationalError):
                    continue
                raise self._fault(exc, writing=writing) or exc from exc
            return db
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[None]:
        db = self._begin(
            (
                "BEGIN ISOLATION LEVEL READ COMMITTED",
                # like SQLite's busy timeout; and a writer that hangs cannot hold the lock forever
                f"SET LOCAL lock_timeout = '{_LOCK_TIMEOUT_S}s'",
                f"SET LOCAL idle_in_transaction_session_timeout = '{_LOCK_TIMEOUT_S}s'",
                *(() if durable else ("SET LOCAL synchronous_commit = off",)),
                "SELECT one FROM write_lock WHERE one FOR UPDATE",
            ),
            writing=True,
        )
        self._local.depth = 2
        committing = False
        try:
            yield
            committing = True
            db.execute("COMMIT")
        except psycopg.Error as exc:
            _rollback(db)
            raise self._fault(exc, writing=True, committing=committing) or exc from exc
        except BaseException:
            _rollback(db)
            raise
        finally:
            self._local.depth = 0

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        if self._depth:
            yield
            return
        db = self._begin(("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",), writing=False)
        self._local.depth = 1
        try:
            yield
        except BaseException:
            _rollback(db)
            raise
        else:
            self._read(lambda db: db.execute("COMMIT"))
        finally:
            self._local.depth = 0

    def close(self) -> None:
        with self._conns_lock:
            _close_connections(self._conns)
        self._local = threading.local()

    def _write(self, sql: str, params: Sequence[object] = ()) -> psycopg.Cursor[Any]:
        if self._depth != 2:
            raise RuntimeError("write outside a transaction")
        return self._db.execute(sql, params)

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self._read(lambda db: db.execute(sql, params).fetchall())

    def _row(self, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None:
        return self._read(lambda db: db.execute(sql, params).fetchone())

    def _read(self, run: Callable[[psycopg.Connection[Any]], _T]) -> _T:
        """``run`` on this thread's connection; outside any transaction a connection that died
        while idle is replaced once (a read can simply be repeated)."""
        for attempt in (0, 1):
            db = self._db
            try:
                return run(db)
            except psycopg.Error as exc:
                if self._depth == 2:
                    raise  # the write transaction reports it
                if attempt == 0 and self._depth == 0 and db.broken:
                    continue
                raise self._fault(exc, writing=False) or exc from exc
        raise AssertionError("unreachable")  # pragma: no cover

    # meta -----------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._row("SELECT value FROM meta WHERE key = %s", (key,))
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._write(
            "INSERT INTO meta (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            (key, value),
        )

    # users ----------------------------------------------------------------------------------
    _USER_COLS = "user_id, name, role, box_public, signing_public, key_wrap, recovery_wrap, active"

    @staticmethod
    def _user(row: tuple[Any, ...] | None) -> UserRow | None:
        if row is None:
            return None
        uid, name, role, box, sig, wrap, rec, active = row
        return UserRow(uid, name, role, bytes(box), bytes(sig), wrap, rec, bool(active))

    def add_user(self, user: UserRow) -> None:
        self._write(
            f"INSERT INTO users ({self._USER_COLS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
            (
                user.user_id,
                user.name,
                user.role,
                user.box_public,
                user.signing_public,
                user.key_wrap,
                user.recovery_wrap,
                user.active,
            ),
        )

    def update_user_wraps(self, user_id: str, key_wrap: str, recovery_wrap: str | None) -> None:
        self._write(
            "UPDATE users SET key_wrap = %s, recovery_wrap = %s WHERE user_id = %s",
            (key_wrap, recovery_wrap, user_id),
        )

    def get_user(self, user_id: str) -> UserRow | None:
        sql = f"SELECT {self._USER_COLS} FROM users WHERE user_id = %s"  # noqa: S608
        return self._user(self._row(sql, (user_id,)))

    def get_user_by_name(self, name: str) -> UserRow | None:
        sql = f"SELECT {self._USER_COLS} FROM users WHERE name = %s"  # noqa: S608
        return self._user(self._row(sql, (name,)))

    def list_users(self) -> list[UserRow]:
        rows = self._rows(f"SELECT {self._USER_COLS} FROM users ORDER BY name")  # noqa: S608
        return [u for u in map(self._user, rows) if u is not None]

    # supervision ----------------------------------------------------------------------------
    def add_supervision(self, supervisor_id: str, therapist_id: str) -> None:
        self._write(
            "INSERT INTO supervision (supervisor_id, therapist_id) VALUES (%s, %s) "
            "ON CONFLICT DO NOTHING",
            (supervisor_id, therapist_id),
        )

    # patients and wraps ---------------------------------------------------------------------
    def add_patient(self, patient: PatientRow) -> None:
        self._write(
            "INSERT INTO patients (patient_id, epoch, owner_id) VALUES (%s, %s, %s)",
            (patient.patient_id, patient.epoch, patient.owner_id),
        )

    def set_patient_epoch(self, patient_id: str, epoch: int) -> None:
        self._write("UPDATE patients SET epoch = %s WHERE patient_id = %s", (epoch, patient_id))

    def list_patients(self) -> list[PatientRow]:
        rows = self._rows("SELECT patient_id, epoch, owner_id FROM patients ORDER BY 1")
        return [PatientRow(r[0], int(r[1]), r[2]) for r in rows]

    def put_wrap(self, patient_id: str, epoch: int, recipient: str, sealed: bytes) -> None:
        # delete + insert, not an upsert: the runtime role has no UPDATE on wraps (pg_roles)
        self._write(
            "DELETE FROM wraps WHERE patient_id = %s AND epoch = %s AND recipient = %s",
            (patient_id, epoch, recipient),
        )
        self._write(
            "INSERT INTO wraps (patient_id, epoch, recipient, sealed) VALUES (%s, %s, %s, %s)",
            (patient_id, epoch, recipient, sealed),
        )

    def get_wrap(self, patient_id: str, epoch: int, recipient: str) -> bytes | None:
        row = self._row(
            "SELECT sealed FROM wraps WHERE patient_id = %s AND epoch = %s AND recipient = %s",
            (patient_id, epoch, recipient),
        )
        return None if row is None else bytes(row[0])

    def wrap_recipients(self, patient_id: str, epoch: int) -> list[str]:
        sql = "SELECT recipient FROM wraps WHERE patient_id = %s AND epoch = %s ORDER BY 1"
        return [str(r[0]) for r in self._rows(sql, (patient_id, epoch))]

    def patients_with_wrap_for(self, recipient: str) -> list[str]:
        sql = "SELECT DISTINCT patient_id FROM wraps WHERE recipient = %s ORDER BY 1"
        return [str(r[0]) for r in self._rows(sql, (recipient,))]

    def forget_patient_lists(self, user_id: str | None = None) -> None:
        if user_id is None:
            sql = "UPDATE meta SET value = '' WHERE substr(key, 1, 13) = %s"
            self._write(sql, ("patient_list:",))
        else:
            self._write("UPDATE meta SET value = '' WHERE key = %s", ("patient_list:" + user_id,))

    def delete_wraps(self, patient_id: str, recipient: str | None = None) -> int:
        self.forget_patient_lists(recipient)
        if recipient is None:
            cur = self._write("DELETE FROM wraps WHERE patient_id = %s", (patient_id,))
        else:
            cur = self._write(
                "DELETE FROM wraps WHERE patient_id = %s AND recipient = %s",
                (patient_id, recipient),
            )
        return cur.rowcount

    def add_pending_grant(self, patient_id: str, user_id: str) -> None:
        self._write(
            "INSERT INTO pending_grants (patient_id, user_id) VALUES (%s, %s) "
            "ON CONFLICT DO NOTHING",
            (patient_id, user_id),
        )

    def delete_pending_grant(self, patient_id: str, user_id: str) -> None:
        self._write(
            "DELETE FROM pending_grants WHERE patient_id = %s AND user_id = %s",
            (patient_id, user_id),
        )

    # records --------------------------------------------------------------------------------
    def insert_record(self, row: RecordRow) -> None:
        cur = self._write(
            "INSERT INTO records (record_id, patient_id, version) VALUES (%s, %s, %s) "
            "ON CONFLICT (record_id) DO NOTHING",
            (row.record_id, row.patient_id, row.version),
        )
        if cur.rowcount != 1:
            raise StaleVersion(f"record {row.record_id} already exists")
        self._insert_version(row)

    def update_record(self, row: RecordRow, expected_version: int) -> None:
        cur = self._write(
            "UPDATE records SET version = %s WHERE record_id = %s AND version = %s",
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
            "INSERT INTO record_versions (record_id, version, blob) VALUES (%s, %s, %s)",
            (row.record_id, row.version, row.blob),
        )

    _RECORD = (
        "SELECT r.record_id, r.patient_id, v.version, v.blob FROM records r "
        "JOIN record_versions v ON v.record_id = r.record_id "
    )

    def get_record(self, record_id: str, version: int | None = None) -> RecordRow | None:
        if version is None:
            sql = self._RECORD + "AND v.version = r.version WHERE r.record_id = %s"
            row = self._row(sql, (record_id,))
        else:
            sql = self._RECORD + "WHERE r.record_id = %s AND v.version = %s"
            row = self._row(sql, (record_id, version))
        return None if row is None else RecordRow(row[0], row[1], int(row[2]), bytes(row[3]))

    def latest_records(self, patient_id: str | None = None) -> Iterator[RecordRow]:
        sql = self._RECORD + "AND v.version = r.version "
        if patient_id is None:
            rows = self._rows(sql + "ORDER BY r.record_id")
        else:
            rows = self._rows(sql + "WHERE r.patient_id = %s ORDER BY r.record_id", (patient_id,))
        for row in rows:
            yield RecordRow(row[0], row[1], int(row[2]), bytes(row[3]))

    def profiles_for(self, recipient: str) -> list[RecordRow]:
        sql = """SELECT r.record_id, r.patient_id, r.version, v.blob FROM patients p
JOIN wraps w ON w.patient_id = p.patient_id AND w.epoch = p.epoch AND w.recipient = %s
JOIN records r ON r.record_id = p.patient_id
JOIN record_versions v ON v.record_id = r.record_id AND v.version = r.version
ORDER BY r.record_id"""
        rows = self._rows(sql, (recipient,))
        return [RecordRow(r[0], r[1], int(r[2]), bytes(r[3])) for r in rows]

    def wraps_for(self, recipient: str) -> dict[tuple[str, int], bytes]:
        sql = "SELECT patient_id, epoch, sealed FROM wraps WHERE recipient = %s"
        return {(str(p), int(e)): bytes(s) for p, e, s in self._rows(sql, (recipient,))}

    def record_ids(self, patient_id: str) -> list[tuple[str, int]]:
        sql = "SELECT record_id, version FROM records WHERE patient_id = %s ORDER BY 1"
        return [(str(r), int(v)) for r, v in self._rows(sql, (patient_id,))]

    def delete_versions_before(self, record_id: str, version: int) -> int:
        """0 without deleting under a role that may not delete history (:mod:`.pg_roles`)."""
        self._write("SAVEPOINT kap_prune")
        try:
            cur = self._write(
                "DELETE FROM record_versions WHERE record_id = %s AND version < %s",
                (record_id, version),
            )
        except errors.InsufficientPrivilege:
            self._write("ROLLBACK TO SAVEPOINT kap_prune")
            return 0
        self._write("RELEASE SAVEPOINT kap_prune")
        return int(cur.rowcount)

    def delete_patient(self, patient_id: str) -> None:
        self.forget_patient_lists()
        self._write(
            "DELETE FROM record_versions WHERE record_id IN "
            "(SELECT record_id FROM records WHERE patient_id = %s)",
            (patient_id,),
        )
        for table in ("records", "wraps", "pending_grants", "patients"):
            self._write(f"DELETE FROM {table} WHERE patient_id = %s", (patient_id,))  # noqa: S608

    def record_versions(self) -> Iterator[tuple[str, int, bytes]]:
        sql = "SELECT record_id, version, blob FROM record_versions ORDER BY 1, 2"
        for record_id, version, blob in self._rows(sql):
            yield str(record_id), int(version), bytes(blob)

    def dump_table(self, table: str) -> list[tuple[Any, ...]]:
        if table not in DUMPABLE:
            raise ValueError(f"unknown table {table!r}")
        rows = self._rows(f"SELECT * FROM {table} ORDER BY 1, 2")  # noqa: S608
        return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows]

    def scrub(self) -> None:
        """Rewrite the shredded tables into new files and let the old ones go (see module doc)."""
        if self._depth:
            raise RuntimeError("scrub inside a transaction")
        db = self._db
        for table in _SHREDDED_TABLES:
            db.execute(f"VACUUM (FULL, ANALYZE) {table}")

    # audit ----------------------------------------------------------------------------------
    _AUDIT_COLS = "seq, entry, hash, signature, actor, action, patient, record, ts"

    @staticmethod
    def _audit(row: tuple[Any, ...]) -> AuditRow:
        seq, entry, digest, sig, actor, action, patient, record, ts = row
        return AuditRow(
            int(seq), bytes(entry), bytes(digest), bytes(sig), actor, action, patient, record, ts
        )

    def append_audit(self, build: AuditBuilder) -> AuditRow:
        if self._depth != 2:
            raise RuntimeError("write outside a transaction")
        head = self._row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        seq, prev = (1, GENESIS) if head is None else (int(head[0]) + 1, bytes(head[1]))
        row = build(seq, prev)
        self._write(
            f"INSERT INTO audit ({self._AUDIT_COLS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
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
        sql = f"SELECT {self._AUDIT_COLS} FROM audit "  # noqa: S608
        if patient_id is None:
            rows = self._rows(sql + "WHERE seq > %s ORDER BY seq", (after,))
        else:
            rows = self._rows(sql + "WHERE patient = %s ORDER BY seq", (patient_id,))
        for row in rows:
            yield self._audit(row)

    def find_audit(self, action: str, record: str) -> AuditRow | None:
        row = self._row(
            f"SELECT {self._AUDIT_COLS} FROM audit WHERE action = %s AND record = %s "  # noqa: S608
            "ORDER BY seq DESC LIMIT 1",
            (action, record),
        )
        return None if row is None else self._audit(row)

    def shredded_patients(self) -> set[str]:
        sql = "SELECT DISTINCT patient FROM audit WHERE action = 'shred' AND patient IS NOT NULL"
        return {str(r[0]) for r in self._rows(sql)}

    def latest_audited_writes(self) -> dict[str, tuple[str | None, int, str]]:
        sql = (
            "SELECT a.record, a.patient, a.entry FROM audit a JOIN "
            "(SELECT record, MAX(seq) AS seq FROM audit "
            "WHERE action = ANY(%s) AND record IS NOT NULL GROUP BY record) m ON a.seq = m.seq"
        )
        out: dict[str, tuple[str | None, int, str]] = {}
        for record, patient, entry in self._rows(sql, (list(WRITE_ACTIONS),)):
            fields = json.loads(bytes(entry))
            out[str(record)] = (patient, int(fields["version"]), str(fields["blob_sha256"]))
        return out
