"""PostgreSQL roles for a group practice: an owner role that creates and migrates the vault's
tables, and a runtime role (what every clinician's server and kernel connects as) that can do a
clinician's day and no more.

History is append-only for the runtime role: ``audit`` and ``record_versions`` take INSERT and
SELECT only (no UPDATE, DELETE or TRUNCATE), no table can be truncated, deleted from (except key
wraps and pending grants, which revocation and approval drop) or altered, and UPDATE is limited to
the columns a clinician's work changes (a record's head version, a patient's epoch, a user's own
passphrase wraps, meta values). Whatever the runtime role can still write is a cache the trust
model checks against the signed log (``audit verify``; ``kap_notes.vault.trust``).

Shredding (DELETE + ``VACUUM FULL``) and schema migrations run under the owner role only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from kap_notes.vault.errors import VaultError
from kap_notes.vault.postgres import PostgresStore, redact

#: What the runtime role may do, table by table. A table missing here is refused by
#: :func:`setup_runtime_role` until someone decides (a new migration must add it).
RUNTIME_PRIVILEGES: dict[str, tuple[str, ...]] = {
    "schema_version": ("SELECT",),
    "meta": ("SELECT", "INSERT", "UPDATE (value)"),
    "users": ("SELECT", "INSERT", "UPDATE (key_wrap, recovery_wrap)"),
    "supervision": ("SELECT", "INSERT"),
    "patients": ("SELECT", "INSERT", "UPDATE (epoch)"),
    # revoke drops a user's wraps (then rotates); the log says which wraps must exist
    "wraps": ("SELECT", "INSERT", "DELETE"),
    "pending_grants": ("SELECT", "INSERT", "DELETE"),
    "records": ("SELECT", "INSERT", "UPDATE (version)"),
    "record_versions": ("SELECT", "INSERT"),
    "audit": ("SELECT", "INSERT"),
    # SELECT … FOR UPDATE needs UPDATE on one column: the writers' queue
    "write_lock": ("SELECT", "UPDATE (one)"),
}

#: Tables the runtime role may only add to and read.
HISTORY_TABLES = ("audit", "record_versions")

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass
class RoleReport:
    """What :func:`setup_runtime_role` granted, and what the runtime role cannot do."""

    database: str
    owner: str
    runtime: str
    granted: dict[str, list[str]] = field(default_factory=dict)
    denied: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "owner": self.owner,
            "runtime": self.runtime,
            "granted": self.granted,
            "denied": self.denied,
        }


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise VaultError(f"role name {name!r}: use lower-case letters, digits and _ only")
    return name


def _one(conn: psycopg.Connection[Any], query: sql.Composable | str, *args: object) -> Any:
    row = conn.execute(query, args).fetchone()  # type: ignore[arg-type]
    return None if row is None else row[0]


def setup_runtime_role(owner_url: str, runtime: str) -> RoleReport:
    """Create or migrate the vault's tables as the owner (``owner_url``), then give the existing
    role ``runtime`` exactly :data:`RUNTIME_PRIVILEGES`. Idempotent: run it again after every
    kap-notes upgrade. The runtime role must exist (a DBA creates it: ``CREATE ROLE name LOGIN``)
    and must not be a superuser, the owner, a member of the owner, or bypass row security."""
    runtime = _check_name(runtime)
    store = PostgresStore(owner_url, create=False)  # migrates to this kap-notes' schema
    store.close()
    with psycopg.connect(owner_url, autocommit=True) as conn:
        owner = str(_one(conn, "SELECT current_user"))
        database = str(_one(conn, "SELECT current_database()"))
        _refuse_unsafe(conn, owner, runtime, database)
        tables = {
            str(r[0])
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        }
        unknown = sorted(tables - RUNTIME_PRIVILEGES.keys())
        if unknown:
            raise VaultError(
                f"tables {', '.join(unknown)} have no runtime privileges decided in "
                "kap_notes.vault.pg_roles: nothing was granted"
            )
        role, db = sql.Identifier(runtime), sql.Identifier(database)
        with conn.transaction():
            conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(db))
            conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, role))
            conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role))
            conn.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(role))
            for table in sorted(tables):
                for privilege in RUNTIME_PRIVILEGES[table]:
                    conn.execute(
                        sql.SQL("GRANT " + privilege + " ON TABLE {} TO {}").format(
                            sql.Identifier(table), role
                        )
                    )
    report = RoleReport(redact(owner_url), owner, runtime)
    for table in sorted(tables):
        report.granted[table] = list(RUNTIME_PRIVILEGES[table])
        report.denied[table] = _denied(owner_url, runtime, table)
    return report


def _refuse_unsafe(conn: psycopg.Connection[Any], owner: str, runtime: str, db: str) -> None:
    row = conn.execute(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles "
        "WHERE rolname = %s",
        (runtime,),
    ).fetchone()
    if row is None:
        raise VaultError(
            f"no PostgreSQL role {runtime}: a database administrator creates it first "
            f"(CREATE ROLE {runtime} LOGIN; password in .pgpass or a client certificate), "
            "then run this again"
        )
    problems = [
        text
        for flag, text in zip(
            row,
            ("is a superuser", "bypasses row security", "may create roles", "may create databases"),
            strict=True,
        )
        if flag
    ]
    if runtime == owner or _one(conn, "SELECT pg_has_role(%s, %s, 'MEMBER')", runtime, owner):
        problems.append(f"is (or is a member of) the owner role {owner}")
    dba = _one(conn, "SELECT datdba::regrole::text FROM pg_database WHERE datname = %s", db)
    if dba == runtime:
        problems.append("owns the database")
    if problems:
        raise VaultError(f"the runtime role {runtime} {'; '.join(problems)}: nothing was granted")


_CHECKED = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")


def _denied(url: str, runtime: str, table: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        return [
            p
            for p in _CHECKED
            if not _one(conn, "SELECT has_table_privilege(%s, %s, %s)", runtime, table, p)
            and not _any_column(conn, runtime, table, p)
        ]


def _any_column(conn: psycopg.Connection[Any], role: str, table: str, privilege: str) -> bool:
    if privilege not in {"INSERT", "UPDATE"}:
        return False
    return bool(_one(conn, "SELECT has_any_column_privilege(%s, %s, %s)", role, table, privilege))


def history_writable(url: str) -> list[str]:
    """What the role of ``url`` may do to history beyond appending (``[]`` for a well-set runtime
    role; the owner sees every UPDATE/DELETE/TRUNCATE it holds, e.g. ``audit: DELETE``)."""
    with psycopg.connect(url, autocommit=True) as conn:
        role = str(_one(conn, "SELECT current_user"))
        return [
            f"{table}: {p}"
            for table in HISTORY_TABLES
            for p in ("UPDATE", "DELETE", "TRUNCATE")
            if _one(conn, "SELECT has_table_privilege(%s, %s, %s)", role, table, p)
            or _any_column(conn, role, table, p)
        ]
