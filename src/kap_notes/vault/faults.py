"""Storage faults in words a clinician can act on.

A full disk is :class:`~kap_notes.errors.StorageFull` (HTTP 507); a read-only disk, a disk I/O
error, a database file that cannot be opened, a busy or unreachable database is
:class:`~kap_notes.errors.StorageUnavailable` (503). Each message says what happened, what became
of the save (nothing was saved; what was typed is still in the form) and what to do next. The
SQLite backend translates ``sqlite3`` errors here; the PostgreSQL backend its own.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from kap_notes.errors import StorageError, StorageFull, StorageUnavailable

# SQLite primary result codes (stable; ``sqlite3`` names them only from Python 3.11).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26
#: Python 3.10's sqlite3 errors carry no ``sqlite_errorcode`` (3.11+): SQLite's fixed messages
#: (sqlite3_errstr) give the primary code instead.
_MESSAGES = {
    "database is locked": _BUSY,
    "database table is locked": _LOCKED,
    "attempt to write a readonly database": _READONLY,
    "disk I/O error": _IOERR,
    "database disk image is malformed": _CORRUPT,
    "database or disk is full": _FULL,
    "unable to open database file": _CANTOPEN,
    "file is not a database": _NOTADB,
}

#: What became of the user's work. Said for reads too: a save often fails at a read before its
#: write transaction (the store cannot tell), and a form is what a clinician looks at.
NOT_SAVED = "nothing was saved; what you typed is still in the form"


def outcome(*, writing: bool) -> str:
    """What the message says happened (the same for reads; ``writing`` is kept for callers)."""
    del writing
    return NOT_SAVED


def disk_full(where: str, *, writing: bool = True) -> StorageFull:
    return StorageFull(
        f"The vault's disk is full: {outcome(writing=writing)}. Ask your clinic's admin to free "
        f"space on the disk holding {where}, then try again"
    )


def read_only(where: str, *, writing: bool = True) -> StorageUnavailable:
    return StorageUnavailable(
        f"The vault's disk is read-only (the system may have protected it after a disk error): "
        f"{outcome(writing=writing)}. Ask your clinic's admin to check the disk holding {where}"
    )


def io_error(where: str, *, writing: bool = True) -> StorageUnavailable:
    saved = (
        "this save may not have been stored; what you typed is still in the form (reopen the "
        "note to check once the disk is fixed)"
        if writing
        else NOT_SAVED
    )
    return StorageUnavailable(
        f"The vault's disk reported an error: {saved}. Ask your clinic's admin to check the "
        f"disk holding {where}"
    )


def cannot_open(where: str, *, writing: bool = True) -> StorageUnavailable:
    return StorageUnavailable(
        f"The vault's database file cannot be opened: {outcome(writing=writing)}. Ask your "
        f"clinic's admin to check that {where} is mounted and readable"
    )


def damaged(where: str, *, writing: bool = True) -> StorageUnavailable:
    return StorageUnavailable(
        f"The vault's database file is damaged: {outcome(writing=writing)}. Ask your clinic's "
        f"admin to restore {where} from the latest backup"
    )


def busy(seconds: int, *, writing: bool = True) -> StorageUnavailable:
    return StorageUnavailable(
        f"The vault is busy: another save held it for over {seconds} seconds; "
        f"{outcome(writing=writing)}. Try again"
    )


def _is_read_only(directory: Path) -> bool:
    try:
        return bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def sqlite_fault(
    exc: sqlite3.Error, directory: Path, *, writing: bool, busy_seconds: int
) -> StorageError | None:
    """The storage fault ``exc`` is, or None for anything else (a bug, a constraint)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        code = _MESSAGES.get(str(exc).strip())
    if code is None:
        return None
    primary = int(code) & 0xFF
    where = str(directory)
    if primary == _FULL:
        return disk_full(where, writing=writing)
    if primary in (_READONLY, _IOERR, _CANTOPEN):
        if _is_read_only(directory):
            return read_only(where, writing=writing)
        if primary == _IOERR:
            return io_error(where, writing=writing)
        if primary == _READONLY:
            return read_only(where, writing=writing)
        return cannot_open(where, writing=writing)
    if primary in (_CORRUPT, _NOTADB):
        return damaged(where, writing=writing)
    if primary in (_BUSY, _LOCKED):
        return busy(busy_seconds, writing=writing)
    return None


def os_fault(exc: OSError, directory: Path, *, writing: bool) -> StorageError | None:
    """The storage fault a file-system ``OSError`` is, or None."""
    where = str(directory)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return disk_full(where, writing=writing)
    if exc.errno == errno.EROFS:
        return read_only(where, writing=writing)
    if exc.errno == errno.EIO:
        return io_error(where, writing=writing)
    return None


def unreachable(where: str, *, writing: bool = True, reason: str = "") -> StorageUnavailable:
    """``reason``: the driver's own words, for the admin (libpq never puts a password in them)."""
    said = " ".join(line.strip() for line in reason.splitlines() if line.strip())
    return StorageUnavailable(
        f"The vault's database cannot be reached ({where}): {outcome(writing=writing)}. Try "
        "again in a minute; if it keeps happening, ask your clinic's admin to check the "
        "database server" + (f" (it said: {said})" if said else "")
    )


def lost_while_saving(where: str) -> StorageUnavailable:
    return StorageUnavailable(
        f"The connection to the vault's database ({where}) was lost while saving: the save may "
        "or may not have been stored; what you typed is still in the form. Reopen the note to "
        "check, then save again if needed"
    )


def database_read_only(where: str, *, writing: bool = True) -> StorageUnavailable:
    return StorageUnavailable(
        f"The vault's database ({where}) accepts no changes now (a read-only or standby "
        f"server): {outcome(writing=writing)}. Ask your clinic's admin to check the database"
    )
