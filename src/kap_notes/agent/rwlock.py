"""A readers–writer lock for the key holder: many shared holders or one exclusive holder.

Writers go first: once one waits, new shared holders wait behind it (reads never starve a
save). Re-entrant per thread: a thread holding it exclusively may take it again either way, and
a thread holding it shared may take it shared again (never exclusive: that would deadlock, so
it raises).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ReadWriteLock:
    """Shared for reads that may overlap, exclusive for everything else."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer: int | None = None  # thread id of the exclusive holder
        self._writer_depth = 0
        self._waiting_writers = 0
        self._local = threading.local()

    def _shared_depth(self) -> int:
        return int(getattr(self._local, "shared", 0))

    @contextmanager
    def shared(self) -> Iterator[None]:
        me = threading.get_ident()
        if self._writer == me or self._shared_depth():
            self._local.shared = self._shared_depth() + 1  # nested: already safe
            try:
                yield
            finally:
                self._local.shared -= 1
            return
        with self._cond:
            while self._writer is not None or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        self._local.shared = 1
        try:
            yield
        finally:
            self._local.shared = 0
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        me = threading.get_ident()
        if self._shared_depth() and self._writer != me:
            raise RuntimeError("a shared holder cannot take the lock exclusively")
        with self._cond:
            if self._writer == me:
                self._writer_depth += 1
            else:
                self._waiting_writers += 1
                try:
                    while self._writer is not None or self._readers:
                        self._cond.wait()
                finally:
                    self._waiting_writers -= 1
                self._writer, self._writer_depth = me, 1
        try:
            yield
        finally:
            with self._cond:
                self._writer_depth -= 1
                if not self._writer_depth:
                    self._writer = None
                    self._cond.notify_all()
