"""One Argon2id derivation at a time per process, with a short bounded wait.

Why: ``cryptography`` runs Argon2id on OpenSSL, which computes the lanes on a thread pool shared
by the whole process (``cryptography`` sizes it to the number of CPUs). Two derivations that run
at once each take some of the pool's threads and then wait forever for the rest: on a 2-core
machine two concurrent default unlocks (m=256 MiB, p=4) never return, and while they hang every
later multi-lane derivation fails at once (``cryptography`` reports it as ``MemoryError``).
A single derivation at a time cannot deadlock, so every derivation passes through :func:`slot`;
whoever cannot get it within :data:`WAIT_SECONDS` gets :class:`UnlockBusy` ("try again in a few
seconds") instead of joining an unbounded queue.

The gate is per process: separate processes (CLI runs, other clinicians' servers) have their
own OpenSSL thread pool and their own gate.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from kap_notes.vault.errors import UnlockBusy

#: How long a derivation waits for the one running before answering "busy": a default
#: derivation (m=256 MiB, t=3, p=4) takes 1.5-2.5 s on a busy 2-core machine
#: (benchmarks/kdf.py), so a second unlock at the same moment usually just waits its turn.
WAIT_SECONDS = 5.0
#: What a "busy" answer suggests waiting, in whole seconds (HTTP ``Retry-After``).
RETRY_AFTER_SECONDS = 3

_lock = threading.Lock()
_count_lock = threading.Lock()
_started = [0]  # derivations that entered the gate


@contextmanager
def slot(wait_seconds: float | None = None) -> Iterator[None]:
    """Hold the process's one derivation slot, or raise :class:`UnlockBusy` after waiting.

    ``wait_seconds`` defaults to :data:`WAIT_SECONDS` (read at call time).
    """
    wait = WAIT_SECONDS if wait_seconds is None else wait_seconds
    if not _lock.acquire(timeout=max(0.0, wait)):
        raise UnlockBusy(retry_after_seconds=RETRY_AFTER_SECONDS)
    try:
        with _count_lock:
            _started[0] += 1
        yield
    finally:
        _lock.release()


def derivations_started() -> int:
    """How many derivations have entered the gate in this process (for tests and diagnostics)."""
    with _count_lock:
        return _started[0]


def busy() -> bool:
    """True while a derivation holds the slot."""
    return _lock.locked()
