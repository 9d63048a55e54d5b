"""Reads that finish together share one audit transaction (issue 14 item 6: every read paid a
durable commit of its own under the key holder's exclusive lock, and saves waited behind them).

Real key holder, real SQLite vault. Each read is still audited exactly once, before it answers,
under the user who read; a failure to write reaches every read of the batch; reads of a session
that was locked meanwhile answer nothing and leave nothing waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from kap_notes.agent.keyholder import KeyHolder, _ReadAudits
from kap_notes.vault.errors import VaultLocked
from kap_notes.vault.session import PendingEntry, Session
from tests.agent.test_parallel_reads import chain_problems, holder_for, read_args, run_threads
from tests.conftest import Clinic


def _entry(patient: str) -> PendingEntry:
    return ("read", patient, None, "2026-03-02T10:00:00Z")


def _count_commits(session: Session) -> list[int]:
    commits = [0]
    store = session.vault.store
    real = store.transaction

    @contextmanager
    def counted(**kwargs: Any) -> Iterator[None]:
        with real(**kwargs):
            yield
        commits[0] += 1

    store.transaction = counted  # type: ignore[method-assign]
    return commits


def _reads(session: Session) -> list[tuple[str, str | None]]:
    return [(r.actor, r.patient) for r in session.store.audit_rows() if r.action == "read"]


def test_finished_reads_are_written_in_one_transaction(clinic: Clinic) -> None:
    holder, drafts = holder_for(str(clinic.path), patients=3)
    session = holder.session()
    before = _reads(session)
    audits = _ReadAudits()
    items = [audits.add(session, [_entry(d["patient_id"])]) for d in drafts]
    commits = _count_commits(session)
    audits.write(items[1])  # whichever read gets the lock first writes them all
    assert commits[0] == 1
    assert all(item.done and item.error is None for item in items)
    new = _reads(session)[len(before) :]
    assert new == [(session.user_id, d["patient_id"]) for d in drafts]
    audits.write(items[0])  # already written: nothing more
    assert commits[0] == 1
    assert _reads(session)[len(before) :] == new
    assert not chain_problems(holder)


def test_a_failed_write_reaches_every_read_of_the_batch(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder, drafts = holder_for(str(clinic.path), patients=2)
    session = holder.session()
    audits = _ReadAudits()
    items = [audits.add(session, [_entry(d["patient_id"])]) for d in drafts]

    def broken(entries: list[PendingEntry]) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(session, "audit_reads", broken)
    with pytest.raises(OSError, match="disk gone"):
        audits.write(items[0])
    with pytest.raises(OSError, match="disk gone"):
        audits.write(items[1])


def test_only_the_same_sessions_reads_are_batched(clinic: Clinic) -> None:
    holder, drafts = holder_for(str(clinic.path), patients=1)
    session = holder.session()
    other = clinic.unlock("theo")
    audits = _ReadAudits()
    mine = audits.add(session, [_entry(drafts[0]["patient_id"])])
    theirs = audits.add(other, [_entry(None)])  # type: ignore[arg-type]
    audits.write(mine)
    assert mine.done
    assert not theirs.done  # never written under tess's session
    audits.drop(other)
    assert not audits._waiting


def test_parallel_reads_are_each_audited_once_with_fewer_commits(clinic: Clinic) -> None:
    holder: KeyHolder
    holder, drafts = holder_for(str(clinic.path), patients=2)
    session = holder.session()
    per_read = {}
    for op in ("get_note", "patient_notes", "list_notes"):
        before = len(_reads(session))
        holder.run(op, read_args(op, drafts[0]))
        per_read[op] = len(_reads(session)) - before
    before = len(_reads(session))
    commits = _count_commits(session)
    start = threading.Barrier(8)

    def reader(op: str) -> Any:
        def run() -> None:
            start.wait()
            for _ in range(3):
                holder.run(op, read_args(op, drafts[0]))

        return run

    ops = ["get_note", "patient_notes", "list_notes", "get_note"] * 2
    assert not run_threads([reader(op) for op in ops])
    assert len(_reads(session)) - before == sum(3 * per_read[op] for op in ops)
    assert commits[0] <= 3 * len(ops)  # never more than one per read
    assert not chain_problems(holder)
    holder.lock()
    with pytest.raises(VaultLocked):
        holder.run("get_note", read_args("get_note", drafts[0]))
