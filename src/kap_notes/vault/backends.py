"""Choosing a store from a vault location.

``postgresql://…`` (or ``postgres://…``) → :class:`~.postgres.PostgresStore`; a location without a
``scheme://`` → a :class:`~.sqlite.SqliteStore` directory; any other scheme is an error. Nothing
falls back to another backend: a location either names a vault or the caller hears why not.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from kap_notes.vault.errors import VaultError, VaultNotFound
from kap_notes.vault.sqlite import DB_NAME, SqliteStore
from kap_notes.vault.store import Store

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
POSTGRES_SCHEMES = ("postgresql", "postgres")


def scheme(location: str | os.PathLike[str]) -> str | None:
    """The URL scheme of ``location`` (lower case), or None for a plain directory."""
    match = _SCHEME.match(os.fspath(location))
    return match.group(1).lower() if match else None


def describe(location: str | os.PathLike[str]) -> str:
    """How to show ``location`` to people: a directory as given, a URL without its password."""
    if scheme(location) in POSTGRES_SCHEMES:
        from kap_notes.vault.postgres import redact  # noqa: PLC0415 - psycopg only when used

        return redact(os.fspath(location))
    return str(location)


def open_store(location: str | os.PathLike[str], *, create: bool = False) -> Store:
    """The store at ``location``.

    Without ``create`` a missing vault raises :class:`VaultNotFound`; with ``create`` an existing
    vault raises :class:`VaultError` (never overwritten) and a new, empty store is made.
    """
    kind = scheme(location)
    if kind in POSTGRES_SCHEMES:
        return _open_postgres(os.fspath(location), create=create)
    if kind is not None:
        raise VaultError(
            f"unknown vault location scheme {kind}://: use a directory (SQLite) "
            "or postgresql://user@host/database"
        )
    path = Path(location)
    if create:
        if (path / DB_NAME).exists():
            raise VaultError(f"a vault already exists at {path}")
        return SqliteStore(path, create=True)
    if not (path / DB_NAME).exists():
        raise VaultNotFound(f"no kap-notes vault at {path} (create one with `kap-notes init`)")
    return SqliteStore(path)


def _open_postgres(url: str, *, create: bool) -> Store:
    try:
        from kap_notes.vault.postgres import PostgresStore  # noqa: PLC0415
    except ImportError as exc:  # psycopg is an optional extra
        raise VaultError(
            "this vault is in PostgreSQL but psycopg is not installed: "
            "pip install 'kap-notes[postgres]'"
        ) from exc
    store = PostgresStore(url, create=create)
    if create and store.has_vault():
        store.close()
        raise VaultError(f"a vault already exists at {describe(url)}")
    return store
