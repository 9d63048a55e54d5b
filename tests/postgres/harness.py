"""Both vault backends for the tests: a real PostgreSQL server, one database per test, and the
raw access an attacker with the database's credentials (or the server's files) would have.

The server is ``KAP_NOTES_TEST_POSTGRES`` (a URL to a maintenance database, e.g.
``postgresql://kap@127.0.0.1:54329/postgres``, by a role that may CREATE DATABASE), or else a
throwaway cluster this module starts itself: ``initdb`` in a temporary directory, ``pg_ctl start``
on a free port on 127.0.0.1 with a random password, stopped and deleted when the last user lets go.
There is no skip: without PostgreSQL the tests fail and say how to install it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo

from kap_notes.vault.sqlite import DB_NAME

ENV = "KAP_NOTES_TEST_POSTGRES"
BACKENDS = ("sqlite", "postgres")
INSTALL_HINT = (
    "the vault tests need a PostgreSQL server: install it with "
    "`sudo apt-get install -y postgresql` (Debian/Ubuntu), or point "
    f"{ENV}=postgresql://USER@HOST:PORT/postgres at a server where USER may CREATE DATABASE"
)


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries and no server URL."""


@dataclass
class Server:
    """A PostgreSQL server the tests may create databases on."""

    admin_url: str  # a maintenance database (``postgres``)
    cluster: Path | None = None  # set when this module started the server

    def url(self, dbname: str) -> str:
        params = conninfo.conninfo_to_dict(self.admin_url)
        params["dbname"] = dbname
        user = f"{params.get('user', '')}"
        password = f":{params['password']}" if params.get("password") else ""
        at = "@" if user or password else ""
        port = f":{params['port']}" if params.get("port") else ""
        host = str(params.get("host") or "")
        extra = {k: v for k, v in params.items() if k not in _URL_PARTS}
        query = "&".join(f"{k}={v}" for k, v in extra.items())
        return f"postgresql://{user}{password}{at}{host}{port}/{dbname}" + (
            f"?{query}" if query else ""
        )

    def create_database(self) -> str:
        """A new, empty database with a random name; returns its URL."""
        name = f"kap_test_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = str(conninfo.conninfo_to_dict(url)["dbname"])
        assert re.fullmatch(r"kap_test_[0-9a-f]{16}", name), name
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


_URL_PARTS = {"user", "password", "host", "port", "dbname"}

# --------------------------------------------------------------------------- the cluster
_lock = threading.Lock()
_server: Server | None = None
_users = 0


@contextlib.contextmanager
def shared_server() -> Iterator[Server]:
    """The test server; the cluster (if we started one) stops when the last user is done."""
    global _server, _users  # noqa: PLW0603 - one server per pytest process
    with _lock:
        if _server is None:
            url = os.environ.get(ENV)
            _server = Server(url) if url else _start_cluster()
        _users += 1
        server = _server
    try:
        yield server
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _server is not None:
                if _server.cluster is not None:
                    _stop_cluster(_server.cluster)
                _server = None


def _bindir() -> Path:
    found = shutil.which("pg_ctl")
    if found and Path(found).resolve().with_name("initdb").exists():
        return Path(found).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(re.sub(r"\D", "", p.split("/")[4]) or 0),
    )
    if not candidates:
        raise PostgresMissing(INSTALL_HINT)
    return Path(candidates[-1]).parent


def _as_owner(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the ``postgres`` user then."""
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresMissing("running as root needs runuser (util-linux) to start PostgreSQL")
    return [runuser, "-u", "postgres", "--", *cmd]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_cluster() -> Server:
    bindir = _bindir()
    root = Path(tempfile.mkdtemp(prefix="kap-notes-pg-"))
    password = secrets.token_hex(16)
    (root / "pw").write_text(password)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(root / "pw", "postgres")
    data = root / "data"
    run: dict[str, Any] = {"capture_output": True, "text": True, "stdin": subprocess.DEVNULL}
    try:
        subprocess.run(
            _as_owner(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "kap",
                    "--auth=scram-sha-256",
                    f"--pwfile={root / 'pw'}",
                    "-E",
                    "UTF8",
                    "--no-locale",
                ]
            ),
            check=True,
            **run,
        )
        for _attempt in range(3):
            port = _free_port()
            options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories=''"
            started = subprocess.run(
                _as_owner(
                    [
                        str(bindir / "pg_ctl"),
                        "-D",
                        str(data),
                        "-l",
                        str(root / "log"),
                        "-w",
                        "-t",
                        "60",
                        "-o",
                        options,
                        "start",
                    ]
                ),
                check=False,
                **run,
            )
            if started.returncode == 0:
                return Server(f"postgresql://kap:{password}@127.0.0.1:{port}/postgres", root)
        log = (root / "log").read_text() if (root / "log").exists() else started.stderr
        raise PostgresMissing(f"PostgreSQL did not start:\n{log}")
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresMissing(f"initdb failed: {exc.stderr}\n{INSTALL_HINT}") from exc
    except BaseException:
        _stop_cluster(root)
        raise


def _stop_cluster(root: Path) -> None:
    if (root / "data" / "postmaster.pid").exists():
        subprocess.run(
            _as_owner([str(_bindir() / "pg_ctl"), "-D", str(root / "data"), "-m", "fast", "stop"]),
            check=False,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
    shutil.rmtree(root, ignore_errors=True)


# ------------------------------------------------------------------------ raw (attacker) access
def is_postgres(location: str | os.PathLike[str]) -> bool:
    return str(location).startswith("postgresql://")


class _PgRaw:
    """A psycopg connection that accepts the sqlite3-style ``?`` placeholders the tests use."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> psycopg.Cursor[Any]:
        return self.conn.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]


@contextlib.contextmanager
def raw_db(location: str | os.PathLike[str]) -> Iterator[Any]:
    """A plain connection to the vault's database in one transaction, committing on exit."""
    if is_postgres(location):
        with psycopg.connect(str(location)) as conn:  # commits on a clean exit
            yield _PgRaw(conn)
        return
    conn = sqlite3.connect(Path(location) / DB_NAME, isolation_level=None, timeout=60)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.execute("COMMIT")
    finally:
        conn.close()


def query(
    location: str | os.PathLike[str], sql: str, params: tuple[Any, ...] = ()
) -> list[tuple[Any, ...]]:
    with raw_db(location) as conn:
        cursor = conn.execute(sql, params)
        return [] if cursor.description is None else [tuple(r) for r in cursor.fetchall()]


def stored_files(location: str | os.PathLike[str], *, wal: bool = True) -> dict[str, bytes]:
    """Every file the vault's bytes live in on this machine, as raw bytes.

    SQLite: every file in the vault directory. PostgreSQL: the database's relation files
    (``base/<oid>/``, after a CHECKPOINT) and, with ``wal``, the server's write-ahead log.
    """
    if not is_postgres(location):
        root = Path(location)
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with psycopg.connect(str(location), autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        data_dir = Path(str(_one(conn, "SHOW data_directory")))
        oid = _one(conn, "SELECT oid FROM pg_database WHERE datname = current_database()")
    folders = [data_dir / "base" / str(oid)] + ([data_dir / "pg_wal"] if wal else [])
    return {
        str(p.relative_to(data_dir)): p.read_bytes()
        for folder in folders
        for p in folder.iterdir()
        if p.is_file()
    }


def _one(conn: psycopg.Connection[Any], sql: str) -> object:
    row = conn.execute(sql).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return row[0]
