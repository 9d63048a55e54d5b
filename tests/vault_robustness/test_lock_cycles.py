"""Issue 12, observation 5: locking must release everything it opened.

Hundreds of unlock/lock cycles of the server's KeyHolder while reader threads keep asking for
the patient list (each thread opens its own database connection): after every lock the process
holds no more file descriptors than before the first unlock, on both backends. Without help from
the garbage collector: a lock closes every thread's connection itself. (``benchmarks/
lock_cycles.py`` runs 2,000 cycles and prints descriptors and memory.)
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kap_notes.agent.keyholder import KeyHolder
from kap_notes.errors import VaultLocked
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.session import Session
from kap_notes.vault.sqlite import SqliteStore
from kap_notes.vault.vault import Vault
from tests.vault_robustness.conftest import PASSPHRASES, Clinic, make_clinic

CYCLES = 200
READERS = 3
#: What the readers ask: it reads the database (the signed clinic settings) in the reader's own
#: thread, and writes no audit entry (the chain, replayed at each unlock, stays short).
READ = "clinic_settings"
TOLERANCE = 2  # descriptors the interpreter may open on its own meanwhile


@pytest.fixture
def cycle_clinic(vault_backend: str, vault_locations: Callable[[], str]) -> Iterator[Clinic]:
    """The clinic on either backend; a SQLite vault in /dev/shm (tmpfs), where a commit's fsync
    costs nothing: this test counts descriptors, and hundreds of unlocks each commit."""
    shm = Path("/dev/shm")
    root = Path(tempfile.mkdtemp(prefix="kap-cycles-", dir=shm if shm.is_dir() else None))
    made = make_clinic(str(root / "vault") if vault_backend == "sqlite" else vault_locations())
    yield made
    made.close()
    shutil.rmtree(root)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _cycles(
    holder: KeyHolder, count: int, failures: list[BaseException], kept: list[Session]
) -> list[int]:
    """``count`` unlock/lock cycles while reader threads read; collects unexpected errors and
    returns how many reads each reader made. Each locked session is kept in ``kept``, as a
    traceback, a waiting confirmation or any cycle may keep one: it must hold no descriptor."""
    stop = threading.Event()
    reads = [0] * READERS

    def read(slot: int) -> None:
        while not stop.is_set():
            try:
                holder.run(READ, {})
                reads[slot] += 1
            except VaultLocked:
                pass
            except BaseException as exc:
                failures.append(exc)
                return
            stop.wait(0.002)

    threads = [threading.Thread(target=read, args=(n,)) for n in range(READERS)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(count):
            holder.unlock("tess", PASSPHRASES["tess"])
            holder.run(READ, {})
            seen = list(reads)
            deadline = time.monotonic() + 5
            while any(r == s for r, s in zip(reads, seen, strict=True)) and not failures:
                assert time.monotonic() < deadline, "a reader never read while unlocked"
                time.sleep(0.001)  # until every reader has used this session (its connection)
            kept.append(holder.session())
            holder.lock()
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    return reads


def test_unlock_lock_cycles_with_concurrent_reads_leak_no_descriptors(
    cycle_clinic: Clinic,
) -> None:
    holder = KeyHolder(cycle_clinic.location, kdf_floor=FAST_KDF)
    failures: list[BaseException] = []
    kept: list[Session] = []
    _cycles(holder, 10, failures, kept)  # warm up: imports, caches, the first connections
    start = open_fds()
    reads = _cycles(holder, CYCLES // 2, failures, kept)
    halfway = open_fds()
    reads += _cycles(holder, CYCLES // 2, failures, kept)
    end = open_fds()
    assert not failures, failures[:3]
    assert min(reads) >= CYCLES // 2, reads  # every reader read in every cycle
    assert all(k.locked for k in kept)
    assert halfway <= start + TOLERANCE, (start, halfway)
    assert end <= start + TOLERANCE, (start, halfway, end)


def test_closing_a_sqlite_store_closes_every_threads_connection(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db", create=True)  # this thread's connection
    before = open_fds()
    used, done = threading.Barrier(5), threading.Event()

    def use() -> None:  # like a server's executor threads: alive, idle between requests
        store.get_meta("anything")
        used.wait(10)
        done.wait(10)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    used.wait(10)
    assert store.open_connections() == 5
    assert open_fds() >= before + 4
    store.close()  # from this thread: closes all five
    assert store.open_connections() == 0
    assert open_fds() < before
    done.set()
    for thread in threads:
        thread.join()
    assert store.get_meta("anything") is None  # a closed store opens a new connection on use
    store.close()


def test_a_session_replaced_by_another_unlock_is_closed(clinic: Clinic) -> None:
    holder = KeyHolder(clinic.location, kdf_floor=FAST_KDF)
    holder.unlock("tess", PASSPHRASES["tess"])
    first = holder.session()
    holder.unlock("theo", PASSPHRASES["theo"])
    assert first.locked
    store = first.vault.store
    if isinstance(store, SqliteStore):
        assert store.open_connections() == 0
    holder.lock()
    assert isinstance(Vault.open(clinic.location, kdf_floor=FAST_KDF), Vault)
