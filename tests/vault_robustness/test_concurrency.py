"""Concurrent writers in real processes: nothing lost, nothing silently overwritten, one chain."""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from kap_notes.vault import access, audit
from kap_notes.vault.errors import NotAuthorised, StaleVersion

from ._helpers import audit_seqs, finish, query, start_together, worker
from .conftest import PASSPHRASES, Clinic

WRITES_PER_PROCESS = 500
SHARED_RECORDS = 3


def _cfg(
    location: str, tmp: Path, user: str, name: str | None = None, **extra: object
) -> dict[str, object]:
    """A worker's configuration; ``name`` labels it (two workers may both be ``user``)."""
    name = name or user
    return {
        "vault": location,
        "user": user,
        "name": name,
        "passphrase": PASSPHRASES[user],
        "ready": str(tmp / f"ready-{name}"),
        "go": str(tmp / "go"),
        "out": str(tmp / f"out-{name}.json"),
        **extra,
    }


def _written(location: str, after: int) -> list[tuple[str, str, int]]:
    """(actor, record, version) of every create/update entry after ``after``, in order."""
    rows = query(
        location,
        "SELECT entry FROM audit WHERE action IN ('create', 'update') AND seq > ? ORDER BY seq",
        (after,),
    )
    entries = [json.loads(bytes(entry)) for (entry,) in rows]
    return [(e["actor"], e["record"], e["version"]) for e in entries]


@pytest.mark.slow
def test_two_processes_500_writes_each_lose_nothing(clinic: Clinic, tmp_path: Path) -> None:
    # Given: tess works in two places at once (two processes, two unlocks). Each has a patient
    # of its own to write to, and both update the same 3 notes of a third patient (only a
    # note's author writes its later versions, so the contended notes are tess's).
    tess = clinic.unlock("tess")
    own = {
        "tess-a": tess.create_patient({"kind": "patient", "name": "Synthetic A"}),
        "tess-b": tess.create_patient({"kind": "patient", "name": "Synthetic B"}),
    }
    shared_patient = tess.create_patient({"kind": "patient", "name": "Synthetic Shared"})
    shared = [
        tess.put_record(shared_patient, {"kind": "note", "tag": f"seed-{k}"})[0]
        for k in range(SHARED_RECORDS)
    ]
    versions_before = query(clinic.location, "SELECT COUNT(*) FROM record_versions")[0][0]
    records_before = query(clinic.location, "SELECT COUNT(*) FROM records")[0][0]
    seq_before = audit_seqs(clinic.location)[-1]

    # When: two processes write 500 records each at the same time; every third write updates
    # a shared note with an optimistic version check, retrying on StaleVersion.
    cfgs = [
        _cfg(
            clinic.location,
            tmp_path,
            "tess",
            name,
            seed=seed,
            n=WRITES_PER_PROCESS,
            own_patient=own[name],
            shared_patient=shared_patient,
            shared=shared,
        )
        for seed, name in enumerate(own)
    ]
    procs = [worker("writes", cfg) for cfg in cfgs]
    start_together(procs, cfgs, tmp_path / "go")
    for proc in procs:
        finish(proc)
    outs = {c["name"]: json.loads(Path(str(c["out"])).read_text()) for c in cfgs}
    results = [r for out in outs.values() for r in out["results"]]

    # Then: all 1,000 writes are stored, each exactly once, each version holding its content.
    assert len(results) == 2 * WRITES_PER_PROCESS
    assert len({(r["rid"], r["version"]) for r in results}) == len(results)
    versions_after = query(clinic.location, "SELECT COUNT(*) FROM record_versions")[0][0]
    records_after = query(clinic.location, "SELECT COUNT(*) FROM records")[0][0]
    creates = sum(r["op"] == "create" for r in results)
    assert versions_after - versions_before == 2 * WRITES_PER_PROCESS
    assert records_after - records_before == creates
    reader = clinic.unlock("tess")
    for r in results:
        assert reader.get_record(r["rid"], r["version"]).content["tag"] == r["tag"]

    # And: each shared note has one linear history — every update replaced the version before
    # it, so no update was silently overwritten.
    updates = defaultdict(list)
    for r in results:
        if r["op"] == "update":
            updates[r["rid"]].append(r["version"])
    for rid in shared:
        mine = sorted(updates[rid])
        assert mine == list(range(2, len(mine) + 2))
        assert reader.get_record(rid).version == len(mine) + 1
        for version in mine:
            before = reader.get_record(rid, version - 1).content["tag"]
            assert reader.get_record(rid, version).content["replaces"] == before

    # And: the chain verifies, its sequence numbers are contiguous, every write is audited
    # once, signed by its author, and the two writers really did interleave.
    report = audit.verify_chain(reader.store, reader.vault.vault_id)
    assert report.ok, report.problems
    seqs = audit_seqs(clinic.location)
    assert seqs == list(range(1, len(seqs) + 1))
    assert report.entries == len(seqs)
    writes = _written(clinic.location, seq_before)
    assert {actor for actor, _, _ in writes} == {clinic.user_ids["tess"]}
    by_process = {
        (r["rid"], r["version"]): name for name, out in outs.items() for r in out["results"]
    }
    order = [by_process[(rid, version)] for _, rid, version in writes]
    assert sorted(order) == sorted(by_process.values())  # each write audited exactly once
    assert Counter(order) == dict.fromkeys(own, WRITES_PER_PROCESS)
    switches = sum(a != b for a, b in itertools.pairwise(order))
    assert switches >= 50, f"the writers barely overlapped ({switches} switches)"
    # And: the optimistic check really fired (conflicting updates were retried, not lost).
    assert sum(out["retries"] for out in outs.values()) >= 1


def test_same_expected_version_in_process_one_wins(clinic: Clinic) -> None:
    # Given: the author's two separate unlocks (two connections, e.g. two browser tabs) that
    # both read version 1 of a note, and theo, who may read the patient but is not its author.
    tess, tess_too = clinic.unlock("tess"), clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic C"})
    assert access.grant(tess, patient, "theo") == "granted"
    theo = clinic.unlock("theo")
    rid, version = tess.put_record(patient, {"kind": "note", "text": "original"})
    assert tess_too.get_record(rid).version == version

    # When: both of tess's sessions save at version 1 (and theo tries too).
    with pytest.raises(NotAuthorised):  # only a note's author saves over it
        theo.put_record(
            patient, {"kind": "note", "text": "theo"}, record_id=rid, expected_version=version
        )
    assert tess.put_record(
        patient, {"kind": "note", "text": "first"}, record_id=rid, expected_version=version
    ) == (rid, 2)
    with pytest.raises(StaleVersion):
        tess_too.put_record(
            patient, {"kind": "note", "text": "second"}, record_id=rid, expected_version=version
        )

    # Then: the first save stands and nothing of the second (or of theo's) was stored or audited.
    assert tess_too.get_record(rid).content["text"] == "first"
    assert theo.get_record(rid).content["text"] == "first"
    assert query(
        clinic.location, "SELECT version FROM record_versions WHERE record_id = ?", (rid,)
    ) == [
        (1,),
        (2,),
    ]
    writes = query(
        clinic.location, "SELECT action FROM audit WHERE record = ? AND action = 'update'", (rid,)
    )
    assert writes == [("update",)]
    assert audit.verify_chain(theo.store, theo.vault.vault_id).ok


@pytest.mark.slow
def test_same_expected_version_across_processes_exactly_one_wins(
    clinic: Clinic, tmp_path: Path
) -> None:
    # Given: 40 notes at version 1 by tess (only their author writes their later versions).
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic D"})
    rids = [tess.put_record(patient, {"kind": "note", "n": n})[0] for n in range(40)]

    # When: two processes, both unlocked as tess, race to update every note at version 1.
    names = ("tess-a", "tess-b")
    cfgs = [
        _cfg(clinic.location, tmp_path, "tess", name, patient=patient, records=rids)
        for name in names
    ]
    procs = [worker("race", cfg) for cfg in cfgs]
    start_together(procs, cfgs, tmp_path / "go")
    for proc in procs:
        finish(proc)
    outcome = {c["name"]: json.loads(Path(str(c["out"])).read_text()) for c in cfgs}

    # Then: for every note exactly one process won, the other got StaleVersion, and version 2
    # is the winner's content.
    reader = clinic.unlock("tess")
    for rid in rids:
        won = [name for name in outcome if outcome[name][rid] == "won"]
        assert len(won) == 1, (rid, [outcome[name][rid] for name in names])
        assert {outcome[name][rid] for name in names} == {"won", "stale"}
        record = reader.get_record(rid)
        assert (record.version, record.content["by"]) == (2, won[0])
    assert audit.verify_chain(reader.store, reader.vault.vault_id).ok


@pytest.mark.slow
def test_verify_chain_is_consistent_while_another_process_writes(
    clinic: Clinic, tmp_path: Path
) -> None:
    """``verify_chain`` must read one consistent snapshot.

    It currently reads the audit rows, the newest audited writes and the stored records in
    separate statements outside any transaction, so a write committed in between makes an
    untampered vault report "stored version N+1 is not the newest audited write (version N)".
    """
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic E"})
    rid, version = tess.put_record(patient, {"kind": "note", "v": 0})
    cfg = _cfg(
        clinic.location, tmp_path, "tess", patient=patient, record=rid, version=version, n=3000
    )
    proc = worker("churn", cfg)
    start_together([proc], [cfg], tmp_path / "go")
    verifier = clinic.open()
    problems: list[str] = []
    runs = 0
    while proc.poll() is None and not problems:
        problems = audit.verify_chain(verifier.store, verifier.vault_id).problems
        runs += 1
    finish(proc)
    assert problems == [], f"false alarm after {runs} verifications of an untampered vault"
    assert runs >= 10, "the verifier did not run alongside the writer"
