"""Fixtures for the JupyterHub deployment tests: a PostgreSQL vault owned by an owner role,
used through a separate runtime role (docs/deploy.md), on the suite's test server."""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import conninfo, sql

from tests.postgres import harness
from tests.postgres.fixtures import pg_server as _pg_server

pg_server = _pg_server


@dataclass
class Roles:
    """One vault database: its owner's URL, the runtime role's URL, and the role names."""

    owner_url: str
    runtime_url: str
    owner: str
    runtime: str


def _url(server: harness.Server, user: str, password: str, dbname: str) -> str:
    params = conninfo.conninfo_to_dict(server.admin_url)
    return f"postgresql://{user}:{password}@{params['host']}:{params['port']}/{dbname}"


@pytest.fixture
def vault_roles(pg_server: harness.Server) -> Iterator[Roles]:
    """A database owned by a fresh owner role, and a fresh runtime login role with no
    privileges yet (both dropped afterwards; roles are cluster-wide)."""
    with made_roles(pg_server) as roles:
        yield roles


@contextlib.contextmanager
def made_roles(pg_server: harness.Server) -> Iterator[Roles]:
    """See :func:`vault_roles`."""
    tag = uuid.uuid4().hex[:10]
    owner, runtime, db = f"kap_owner_{tag}", f"kap_rt_{tag}", f"kap_test_{tag}000000"
    owner_pw, runtime_pw = secrets.token_hex(12), secrets.token_hex(12)
    with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
        for name, pw in ((owner, owner_pw), (runtime, runtime_pw)):
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(name), sql.Literal(pw)
                )
            )
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(db), sql.Identifier(owner))
        )
    try:
        yield Roles(
            _url(pg_server, owner, owner_pw, db),
            _url(pg_server, runtime, runtime_pw, db),
            owner,
            runtime,
        )
    finally:
        with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(sql.Identifier(db)))
            for name in (runtime, owner):
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
