"""Failed unlock attempts: counted per user in the store (shared by every process), refused with
exponential back-off after five, reset by a success that reports how many there were."""

from __future__ import annotations

import pytest

from kap_notes.vault import attempts
from kap_notes.vault.errors import TooManyAttempts, VaultError
from kap_notes.vault.store import Store
from tests.vault.conftest import Clinic

T0 = 1_900_000_000.0  # a fixed synthetic clock (seconds since the epoch)


def user_id(clinic: Clinic, name: str) -> str:
    row = clinic.vault.store.get_user_by_name(name)
    assert row is not None
    return row.user_id


def fail(store: Store, uid: str, times: int, at: float = T0) -> int:
    count = 0
    for _ in range(times):
        count = attempts.record_failure(store, uid, at)
    return count


def test_back_off_schedule() -> None:
    assert [attempts.delay_after(n) for n in range(5)] == [0] * 5
    assert [attempts.delay_after(n) for n in range(5, 10)] == [2, 4, 8, 16, 32]
    assert attempts.delay_after(40) == attempts.MAX_DELAY_SECONDS
    assert attempts.delay_after(10**6) == attempts.MAX_DELAY_SECONDS


def test_five_failures_are_free_then_refused_until_the_delay_passes(clinic: Clinic) -> None:
    store, tess = clinic.vault.store, user_id(clinic, "tess")
    assert fail(store, tess, 4) == 4
    attempts.check_allowed(store, tess, T0, name="tess")  # four: still allowed
    assert attempts.record_failure(store, tess, T0) == 5
    with pytest.raises(TooManyAttempts, match=r"wrong passphrases for tess: try again in 2 s"):
        attempts.check_allowed(store, tess, T0 + 0.5, name="tess")
    attempts.check_allowed(store, tess, T0 + 2, name="tess")  # the delay has passed


def test_delay_doubles_with_each_further_failure(clinic: Clinic) -> None:
    store, tess = clinic.vault.store, user_id(clinic, "tess")
    fail(store, tess, 9)
    with pytest.raises(TooManyAttempts) as info:
        attempts.check_allowed(store, tess, T0, name="tess")
    assert info.value.retry_after_seconds == 32
    assert str(info.value) == "Too many wrong passphrases for tess: try again in 32 s"
    assert isinstance(info.value, VaultError)
    with pytest.raises(TooManyAttempts, match="in 12 s"):
        attempts.check_allowed(store, tess, T0 + 20, name="tess")
    attempts.check_allowed(store, tess, T0 + 32)


def test_counter_is_per_user(clinic: Clinic) -> None:
    store = clinic.vault.store
    fail(store, user_id(clinic, "tess"), 8)
    attempts.check_allowed(store, user_id(clinic, "theo"), T0, name="theo")
    assert attempts.failures(store, user_id(clinic, "theo")).count == 0


def test_success_resets_and_reports_failures_since_the_last_one(clinic: Clinic) -> None:
    store, tess = clinic.vault.store, user_id(clinic, "tess")
    assert attempts.record_success(store, tess) == 0
    fail(store, tess, 3)
    assert attempts.record_success(store, tess) == 3
    assert attempts.failures(store, tess).count == 0
    assert attempts.record_success(store, tess) == 0
    # after a reset the free attempts start again
    fail(store, tess, 4)
    attempts.check_allowed(store, tess, T0)


def test_another_process_sees_the_same_count(clinic: Clinic) -> None:
    # Given failures recorded through one opening of the vault (one CLI run)...
    tess = user_id(clinic, "tess")
    fail(clinic.open().store, tess, 6)
    # ...a separate opening (another process, another connection) is refused too
    other = clinic.open().store
    with pytest.raises(TooManyAttempts, match="in 4 s"):
        attempts.check_allowed(other, tess, T0 + 0.1, name="tess")
    assert attempts.record_success(other, tess) == 6
    attempts.check_allowed(clinic.vault.store, tess, T0 + 0.1)


def test_counter_lives_in_meta_as_json(clinic: Clinic) -> None:
    store, tess = clinic.vault.store, user_id(clinic, "tess")
    attempts.record_failure(store, tess, T0)
    assert store.get_meta(f"unlock_failures:{tess}") == '{"count": 1, "last": 1900000000.0}'


@pytest.mark.parametrize("stored", ["not json", "[]", '{"count": -3}', '{"count": "x"}'])
def test_damaged_counter_reads_as_no_failures(clinic: Clinic, stored: str) -> None:
    store, tess = clinic.vault.store, user_id(clinic, "tess")
    with store.transaction():
        store.set_meta(attempts.meta_key(tess), stored)
    attempts.check_allowed(store, tess, T0)
    assert attempts.record_failure(store, tess, T0) == 1


def test_clock_going_backwards_never_stretches_the_wait(clinic: Clinic) -> None:
    store, tess = clinic.vault.store, user_id(clinic, "tess")
    fail(store, tess, 5, at=T0 + 10_000)
    assert attempts.seconds_to_wait(store, tess, T0) == 2
