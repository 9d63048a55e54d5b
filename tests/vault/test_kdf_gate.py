"""Argon2id through the per-process KDF gate: standard output, one derivation at a time, a clear
"busy" instead of a hang, a decoy that really derives, and a floor that counts lanes."""

from __future__ import annotations

import threading

import pytest
from argon2.low_level import Type, hash_secret_raw

from kap_notes.vault import crypto, kdf_gate, keys
from kap_notes.vault.crypto import DEFAULT_KDF, FAST_KDF, MINIMUM_KDF, KdfParams, KeyPair
from kap_notes.vault.errors import (
    IntegrityError,
    UnlockBusy,
    VaultError,
    WeakKdfParameters,
    WrongPassphrase,
)

#: Argon2id v1.3, t=2, m=64 MiB, p=1, "password" / "somesalt", 32 bytes: the reference
#: implementation's test vector (phc-winner-argon2 src/test.c).
REFERENCE = "09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7"


def test_derive_kek_matches_the_reference_vector() -> None:
    key = crypto.derive_kek(b"password", b"somesalt", KdfParams(65536, 2, 1))
    assert key.hex() == REFERENCE


@pytest.mark.parametrize("params", [FAST_KDF, KdfParams(16 * 1024, 3, 4), MINIMUM_KDF])
def test_derive_kek_equals_argon2_cffi(params: KdfParams) -> None:
    # Given the same passphrase, salt and costs, both implementations give the same bytes
    secret, salt = b"tess's synthetic passphrase", bytes(range(16))
    ours = crypto.derive_kek(secret, salt, params)
    theirs = hash_secret_raw(
        secret, salt, params.iterations, params.memory_kib, params.lanes, 32, Type.ID
    )
    assert ours == theirs


def test_a_held_gate_answers_busy_instead_of_waiting_forever(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kdf_gate, "WAIT_SECONDS", 0.01)
    before = kdf_gate.derivations_started()
    with kdf_gate.slot():
        assert kdf_gate.busy()
        with pytest.raises(UnlockBusy, match="try again in a few seconds") as info:
            crypto.derive_kek(b"pw", bytes(16), FAST_KDF)
    assert info.value.retry_after_seconds > 0
    assert isinstance(info.value, VaultError)
    assert not kdf_gate.busy()
    # the refused attempt derived nothing; the next one runs
    assert kdf_gate.derivations_started() == before + 1
    crypto.derive_kek(b"pw", bytes(16), FAST_KDF)
    assert kdf_gate.derivations_started() == before + 2


def test_unwrap_while_busy_is_busy_not_wrong_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    wrap = keys.wrap_keys(
        KeyPair.generate(), "pw", vault_id="v", user_id="u", kind="passphrase", params=FAST_KDF
    )
    monkeypatch.setattr(kdf_gate, "WAIT_SECONDS", 0.01)
    with kdf_gate.slot(), pytest.raises(UnlockBusy):
        keys.unwrap_keys(wrap, "pw", vault_id="v", user_id="u", kind="passphrase", floor=FAST_KDF)


def test_two_concurrent_default_derivations_both_return() -> None:
    # Given the real default cost (m=256 MiB, t=3, p=4), which deadlocked OpenSSL's shared
    # thread pool when two ran at once
    secret, salt = b"synthetic passphrase", bytes(16)
    outcomes: list[bytes | Exception] = []

    def derive() -> None:
        try:
            outcomes.append(crypto.derive_kek(secret, salt, DEFAULT_KDF))
        except UnlockBusy as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=derive, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)  # a hang guard, not a timing assert
    assert not any(thread.is_alive() for thread in threads), "a derivation hung"
    keys_made = [o for o in outcomes if isinstance(o, bytes)]
    assert len(outcomes) == 2  # each succeeded or was told "busy"
    assert keys_made
    # and a later one works (it used to fail at once with MemoryError)
    assert crypto.derive_kek(secret, salt, DEFAULT_KDF) == keys_made[0]


def test_out_of_memory_is_busy_not_a_crash() -> None:
    # 2 TiB cannot be allocated: the caller gets "try again", not a MemoryError (HTTP 500)
    with pytest.raises(UnlockBusy, match="not enough free memory"):
        crypto.derive_kek(b"pw", bytes(16), KdfParams(2**31, 1, 1))


def test_decoy_unwrap_runs_one_derivation_through_the_gate() -> None:
    before = kdf_gate.derivations_started()
    keys.decoy_unwrap(FAST_KDF)
    assert kdf_gate.derivations_started() == before + 1


def test_decoy_unwrap_is_refused_like_a_real_one_when_busy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kdf_gate, "WAIT_SECONDS", 0.01)
    with kdf_gate.slot(), pytest.raises(UnlockBusy):
        keys.decoy_unwrap(FAST_KDF)


def test_floor_counts_lanes() -> None:
    floor = KdfParams(64 * 1024, 3, 2)
    assert not KdfParams(256 * 1024, 3, 1).at_least(floor)
    assert KdfParams(64 * 1024, 3, 2).at_least(floor)
    assert DEFAULT_KDF.at_least(MINIMUM_KDF)


def test_unwrap_refuses_a_wrap_with_too_few_lanes() -> None:
    # Given a wrap made with one lane, and a floor that needs two
    params = KdfParams(8 * 1024, 1, 1)
    wrap = keys.wrap_keys(
        KeyPair.generate(), "pw", vault_id="v", user_id="u", kind="passphrase", params=params
    )
    with pytest.raises(WeakKdfParameters, match=r"p=1.*below the minimum.*p=2"):
        keys.unwrap_keys(
            wrap,
            "pw",
            vault_id="v",
            user_id="u",
            kind="passphrase",
            floor=KdfParams(8 * 1024, 1, 2),
        )


def test_unwrap_refuses_absurd_stored_costs_before_deriving() -> None:
    # Given a wrap whose stored costs a database writer raised to 2 TiB
    wrap = keys.wrap_keys(
        KeyPair.generate(), "pw", vault_id="v", user_id="u", kind="passphrase", params=FAST_KDF
    )
    tampered = wrap.replace('"m": 8192', f'"m": {2**31}')
    assert tampered != wrap
    before = kdf_gate.derivations_started()
    with pytest.raises(IntegrityError, match="damaged"):
        keys.unwrap_keys(
            tampered, "pw", vault_id="v", user_id="u", kind="passphrase", floor=FAST_KDF
        )
    assert kdf_gate.derivations_started() == before
    # while the untouched wrap opens, and a wrong passphrase is still just that
    keys.unwrap_keys(wrap, "pw", vault_id="v", user_id="u", kind="passphrase", floor=FAST_KDF)
    with pytest.raises(WrongPassphrase):
        keys.unwrap_keys(wrap, "nope", vault_id="v", user_id="u", kind="passphrase", floor=FAST_KDF)
