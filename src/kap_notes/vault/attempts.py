"""Failed unlock attempts per user: recorded in the store, refused with exponential back-off.

The counter lives in the store's ``meta`` table under ``unlock_failures:<user_id>`` as JSON
``{"count": n, "last": unix_seconds}`` so every process that opens the vault (each CLI run,
each clinician's Jupyter server) sees and raises the same count. After :data:`FREE_FAILURES`
consecutive failures a user is refused for :func:`delay_after` seconds from the last failure
(2 s, 4 s, 8 s, … up to :data:`MAX_DELAY_SECONDS`); a refused attempt runs no key derivation
and does not add to the count. A successful unlock resets the count and reports how many
failures happened since the previous success, so the user can be told.

This slows online guessing through the vault's own doors. It is not a defence against someone
who can write the database (they can reset the counter, and can copy the key wrap and guess
offline at Argon2id's cost); that is what the KDF cost is for.

Call these functions outside any open transaction: each one that writes opens its own.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

from kap_notes.vault.errors import TooManyAttempts
from kap_notes.vault.store import Store

#: Consecutive wrong passphrases allowed before the back-off starts.
FREE_FAILURES = 5
#: The first back-off, doubled for every further failure.
BASE_DELAY_SECONDS = 2
#: The longest back-off (a clinician who forgot is never locked out for more than this).
MAX_DELAY_SECONDS = 15 * 60

_KEY = "unlock_failures:{}"


@dataclass(frozen=True)
class Failures:
    """Consecutive failed unlocks of one user since the last success, and when the last was."""

    count: int = 0
    last: float | None = None


def meta_key(user_id: str) -> str:
    """The ``meta`` key holding ``user_id``'s counter."""
    return _KEY.format(user_id)


def delay_after(count: int) -> int:
    """Seconds a user must wait after ``count`` consecutive failures (0 while under the limit)."""
    if count < FREE_FAILURES:
        return 0
    doublings = min(count - FREE_FAILURES, 32)
    return int(min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2**doublings))


def failures(store: Store, user_id: str) -> Failures:
    """The stored counter; a missing or damaged one reads as no failures."""
    text = store.get_meta(meta_key(user_id))
    if not text:
        return Failures()
    try:
        data = json.loads(text)
        count = int(data["count"])
        last = None if data.get("last") is None else float(data["last"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return Failures()
    if count < 0 or (last is not None and not math.isfinite(last)):
        return Failures()
    return Failures(count, last)


def seconds_to_wait(store: Store, user_id: str, now: float | None = None) -> int:
    """Whole seconds until ``user_id`` may try again (0: now)."""
    state = failures(store, user_id)
    delay = delay_after(state.count)
    if delay == 0 or state.last is None:
        return 0
    at = time.time() if now is None else now
    # a clock that went backwards never stretches the wait beyond one full delay
    remaining = min(float(delay), state.last + delay - at)
    return max(0, math.ceil(remaining))


def check_allowed(
    store: Store, user_id: str, now: float | None = None, *, name: str | None = None
) -> None:
    """Raise :class:`TooManyAttempts` if ``user_id`` is inside a back-off; call before the KDF.

    ``name`` is the user name shown in the message (defaults to the id).
    """
    wait = seconds_to_wait(store, user_id, now)
    if wait > 0:
        raise TooManyAttempts(name or user_id, wait)


def record_failure(store: Store, user_id: str, now: float | None = None) -> int:
    """Count one wrong passphrase (or recovery code) for ``user_id``; returns the new count."""
    at = time.time() if now is None else now
    with store.transaction():
        count = failures(store, user_id).count + 1
        store.set_meta(meta_key(user_id), json.dumps({"count": count, "last": at}))
    return count


def record_success(store: Store, user_id: str) -> int:
    """Reset ``user_id``'s counter after a successful unlock; returns how many failed attempts
    there were since the previous success (0: nothing to tell the user)."""
    if failures(store, user_id).count == 0:
        return 0  # the common case writes nothing
    with store.transaction():
        previous = failures(store, user_id).count
        if previous:
            store.set_meta(meta_key(user_id), json.dumps({"count": 0, "last": None}))
    return previous
