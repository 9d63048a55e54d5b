"""Reads side by side in the real key holder (issue 14 item 6), on a real SQLite vault.

Reads overlap each other, never a write; every read that answers was audited exactly once
before it answered; saves lose nothing; a lock during reads drops the keys and the reads after
it fail cleanly; the audit chain verifies after every run. No test measures time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kap_notes.agent.keyholder import READ_OPERATIONS, KeyHolder
from kap_notes.service import operations
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.errors import VaultLocked
from kap_notes.vault.verify import verify_vault
from tests.conftest import PASSPHRASES, Clinic, create_clinic_vault, synthetic_patient

READS = ("get_note", "patient_notes", "list_notes", "my_day", "list_patients")


def answers(n: int) -> dict[str, Any]:
    return {"session_datetime": "2026-03-02 10:00", "route": "im", "dose_mg": 40 + n}


def holder_for(path: str, patients: int = 2) -> tuple[KeyHolder, list[dict[str, Any]]]:
    """tess unlocked in a key holder, with one patient and one draft per writer."""
    holder = KeyHolder(path, kdf_floor=FAST_KDF)
    holder.unlock("tess", PASSPHRASES["tess"])
    drafts = []
    for n in range(patients):
        pid = holder.run("add_patient", {"data": synthetic_patient(n)})["patient_id"]
        saved = holder.run(
            "save_draft", {"patient_id": pid, "form": "dosing", "answers": answers(0)}
        )
        drafts.append({**saved, "patient_id": pid})
    return holder, drafts


def read_args(op: str, draft: dict[str, Any]) -> dict[str, Any]:
    if op == "get_note":
        return {"note_id": draft["note_id"]}
    if op in ("patient_notes", "list_notes"):
        return {"patient_id": draft["patient_id"]}
    return {}


def read_entries(holder: KeyHolder) -> int:
    store = holder.session().store
    return sum(1 for row in store.audit_rows() if row.action == "read")


def entries_per_read(holder: KeyHolder, draft: dict[str, Any]) -> dict[str, int]:
    """How many read entries one call of each read writes (measured one at a time)."""
    found = {}
    for op in READS:
        before = read_entries(holder)
        holder.run(op, read_args(op, draft))
        found[op] = read_entries(holder) - before
        assert found[op] >= 1, f"{op} was not audited"
    return found


def chain_problems(holder: KeyHolder) -> list[str]:
    session = holder.session()
    return verify_vault(session.vault.store, session.vault.vault_id).problems


def run_threads(targets: list[Callable[[], None]]) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


def test_every_read_operation_is_declared_and_exists() -> None:
    assert operations.OPERATIONS.keys() >= READ_OPERATIONS
    assert not READ_OPERATIONS & operations.CONFIRMED.keys()
    assert {"save_draft", "add_patient", "discard_draft"}.isdisjoint(READ_OPERATIONS)


def test_two_reads_run_at_once_and_a_save_waits_for_them(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder, (draft, _) = holder_for(str(clinic.path))
    both_inside = threading.Barrier(3, timeout=20)  # two reads and this test
    release = threading.Event()
    real = operations.OPERATIONS["whoami"]

    def meeting_whoami(session: Any) -> Any:
        both_inside.wait()  # breaks (an error) unless the other read is inside at the same time
        release.wait(20)
        return real(session)

    monkeypatch.setitem(operations.OPERATIONS, "whoami", meeting_whoami)
    saved: list[dict[str, Any]] = []
    save_args = {**draft, "form": "dosing", "answers": answers(5)}
    save_args = {k: save_args[k] for k in ("patient_id", "form", "answers", "note_id", "version")}
    readers = [threading.Thread(target=holder.run, args=("whoami", {})) for _ in range(2)]
    for reader in readers:
        reader.start()
    both_inside.wait()
    writer = threading.Thread(target=lambda: saved.append(holder.run("save_draft", save_args)))
    writer.start()
    for _ in range(2000):  # the save is waiting for the lock, not running beside the reads
        if holder._rw._waiting_writers:
            break
        threading.Event().wait(0.005)
    assert holder._rw._waiting_writers == 1
    assert not saved
    release.set()
    for thread in (*readers, writer):
        thread.join(30)
    assert saved
    assert saved[0]["version"] == draft["version"] + 1
    assert chain_problems(holder) == []


def test_concurrent_saves_and_reads_lose_nothing_and_audit_each_read_once(
    clinic: Clinic,
) -> None:
    holder, drafts = holder_for(str(clinic.path), patients=3)
    per_read = entries_per_read(holder, drafts[0])
    start = read_entries(holder)
    saves, rounds = 6, 4
    answered: list[str] = []
    lock = threading.Lock()

    def writer(index: int) -> Callable[[], None]:
        def run() -> None:
            draft = drafts[index]
            args = {"patient_id": draft["patient_id"], "form": "dosing"}
            for n in range(1, saves + 1):
                draft = holder.run(
                    "save_draft",
                    {
                        **args,
                        "answers": answers(n),
                        "note_id": draft["note_id"],
                        "version": draft["version"],
                    },
                )
            drafts[index] = {**draft, "patient_id": drafts[index]["patient_id"]}

        return run

    def reader(index: int) -> Callable[[], None]:
        def run() -> None:
            for n in range(rounds):
                op = READS[(index + n) % len(READS)]
                holder.run(op, read_args(op, drafts[index % len(drafts)]))
                with lock:
                    answered.append(op)

        return run

    errors = run_threads([writer(i) for i in range(3)] + [reader(i) for i in range(6)])
    assert errors == []
    for draft in drafts:  # every save became the next version: none lost or overwritten
        assert draft["version"] == 1 + saves
        note = holder.run("get_note", {"note_id": draft["note_id"]})
        assert note["version"] == 1 + saves
        assert note["answers"]["dose_mg"] == 40 + saves
    expected = sum(per_read[op] for op in answered) + 3 * per_read["get_note"]
    assert read_entries(holder) - start == expected
    assert chain_problems(holder) == []


def test_a_lock_during_reads_drops_the_keys_and_later_reads_fail_cleanly(
    clinic: Clinic,
) -> None:
    holder, drafts = holder_for(str(clinic.path))
    per_read = entries_per_read(holder, drafts[0])
    store, vault_id = holder.session().vault.store, holder.session().vault.vault_id
    session = holder.session()
    start = sum(1 for r in store.audit_rows() if r.action == "read")
    answered: list[str] = []
    refused: list[str] = []
    locked = threading.Event()
    lock = threading.Lock()

    def reader(index: int) -> Callable[[], None]:
        def run() -> None:
            n = 0
            while len(refused) < 40:
                op = READS[(index + n) % len(READS)]
                n += 1
                try:
                    holder.run(op, read_args(op, drafts[index % 2]))
                except VaultLocked:
                    with lock:
                        refused.append(op)
                    continue
                with lock:
                    answered.append(op)

        return run

    def locker() -> None:
        while len(answered) < 8:
            threading.Event().wait(0.01)
        holder.lock()
        locked.set()

    errors = run_threads([reader(i) for i in range(4)] + [locker])
    assert errors == []
    assert session.locked
    assert holder.status()["unlocked"] is False
    with pytest.raises(VaultLocked):
        holder.run("my_day", {})
    reads = sum(1 for r in store.audit_rows() if r.action == "read")
    assert reads - start == sum(per_read[op] for op in answered)
    assert verify_vault(store, vault_id).problems == []


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    schedules=st.lists(
        st.lists(st.sampled_from(("save", *READS)), min_size=1, max_size=5),
        min_size=2,
        max_size=4,
    )
)
def test_any_mix_of_threads_keeps_versions_and_audit_exact(
    tmp_path_factory: pytest.TempPathFactory, schedules: list[list[str]]
) -> None:
    path = tmp_path_factory.mktemp("vault") / "v"
    create_clinic_vault(path)
    holder, drafts = holder_for(str(path), patients=len(schedules))
    try:
        per_read = entries_per_read(holder, drafts[0])
        start = read_entries(holder)

        def worker(index: int) -> Callable[[], None]:
            def run() -> None:
                for op in schedules[index]:
                    draft = drafts[index]
                    if op == "save":
                        keep = {k: draft[k] for k in ("patient_id", "note_id", "version")}
                        saved = holder.run(
                            "save_draft", {**keep, "form": "dosing", "answers": answers(1)}
                        )
                        drafts[index] = {**saved, "patient_id": draft["patient_id"]}
                    else:
                        holder.run(op, read_args(op, draft))

            return run

        assert run_threads([worker(i) for i in range(len(schedules))]) == []
        for index, schedule in enumerate(schedules):
            assert drafts[index]["version"] == 1 + schedule.count("save")
        expected = sum(per_read[op] for s in schedules for op in s if op != "save")
        assert read_entries(holder) - start == expected
        assert chain_problems(holder) == []
    finally:
        holder.lock()
