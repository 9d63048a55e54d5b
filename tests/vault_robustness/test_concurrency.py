"""Concurrent writers in real processes: nothing lost, nothing silently overwritten, one chain."""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from kap_notes.vault import access, audit
from kap_notes.vault.errors import StaleVersion

from ._helpers import audit_seqs, finish, query, start_together, worker
from .conftest import PASSPHRASES, Clinic

WRITES_PER_PROCESS = 500
SHARED_RECORDS = 3


def _cfg(location: str, tmp: Path, user: str, **extra: object) -> dict[str, object]:
    return {
        "vault": location,
        "user": user,
        "passphrase": PASSPHRASES[user],
        "ready": str(tmp / f"ready-{user}"),
        "go": str(tmp / "go"),
        "out": str(tmp / f"out-{user}.json"),
        **extra,
    }


@pytest.mark.slow
def test_two_processes_500_writes_each_lose_nothing(clinic: Clinic, tmp_path: Path) -> None:
    # Given: tess and theo each treat a patient, and share a third one with 3 notes in it.
    tess, theo = clinic.unlock("tess"), clinic.unlock("theo")
    own = {
        "tess": tess.create_patient({"kind": "patient", "name": "Synthetic A"}),
        "theo": theo.create_patient({"kind": "patient", "name": "Synthetic B"}),
    }
    shared_patient = tess.create_patient({"kind": "patient", "name": "Synthetic Shared"})
    assert access.grant(tess, shared_patient, "theo") == "granted"
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
            user,
            seed=seed,
            n=WRITES_PER_PROCESS,
            own_patient=own[user],
            shared_patient=shared_patient,
            shared=shared,
        )
        for seed, user in enumerate(("tess", "theo"))
    ]
    procs = [worker("writes", cfg) for cfg in cfgs]
    start_together(procs, cfgs, tmp_path / "go")
    for proc in procs:
        finish(proc)
    outs = {c["user"]: json.loads(Path(str(c["out"])).read_text()) for c in cfgs}
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
    assert access.grant(clinic.unlock("theo"), own["theo"], "tess") == "granted"
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
    # once by its actor, and the two writers really did interleave.
    report = audit.verify_chain(reader.store, reader.vault.vault_id)
    assert report.ok, report.problems
    seqs = audit_seqs(clinic.location)
    assert seqs == list(range(1, len(seqs) + 1))
    assert report.entries == len(seqs)
    writes = query(
        clinic.location,
        "SELECT actor FROM audit WHERE action IN ('create', 'update') AND seq > ? ORDER BY seq",
        (seq_before,),
    )
    per_actor = Counter(a for (a,) in writes)
    assert per_actor[clinic.user_ids["theo"]] == WRITES_PER_PROCESS
    assert per_actor[clinic.user_ids["tess"]] == WRITES_PER_PROCESS
    switches = sum(a != b for (a,), (b,) in itertools.pairwise(writes))
    assert switches >= 50, f"the writers barely overlapped ({switches} switches)"
    # And: the optimistic check really fired (conflicting updates were retried, not lost).
    assert sum(out["retries"] for out in outs.values()) >= 1


def test_same_expected_version_in_process_one_wins(clinic: Clinic) -> None:
    # Given: two separate unlocks (two connections) that both read version 1 of a note.
    tess, theo = clinic.unlock("tess"), clinic.unlock("theo")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic C"})
    access.grant(tess, patient, "theo")
    rid, version = tess.put_record(patient, {"kind": "note", "text": "original"})

    # When: both save at version 1.
    assert tess.put_record(
        patient, {"kind": "note", "text": "tess"}, record_id=rid, expected_version=version
    ) == (rid, 2)
    with pytest.raises(StaleVersion):
        theo.put_record(
            patient, {"kind": "note", "text": "theo"}, record_id=rid, expected_version=version
        )

    # Then: the first save stands and nothing of the second was stored or audited.
    assert theo.get_record(rid).content["text"] == "tess"
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
    # Given: 40 notes at version 1 that tess and theo can both write.
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic D"})
    access.grant(tess, patient, "theo")
    rids = [tess.put_record(patient, {"kind": "note", "n": n})[0] for n in range(40)]

    # When: two processes race to update every note at expected version 1.
    cfgs = [
        _cfg(clinic.location, tmp_path, user, patient=patient, records=rids)
        for user in ("tess", "theo")
    ]
    procs = [worker("race", cfg) for cfg in cfgs]
    start_together(procs, cfgs, tmp_path / "go")
    for proc in procs:
        finish(proc)
    outcome = {c["user"]: json.loads(Path(str(c["out"])).read_text()) for c in cfgs}

    # Then: for every note exactly one process won, the other got StaleVersion, and version 2
    # is the winner's content.
    reader = clinic.unlock("tess")
    for rid in rids:
        won = [user for user in outcome if outcome[user][rid] == "won"]
        assert len(won) == 1, (rid, outcome["tess"][rid], outcome["theo"][rid])
        assert {outcome["tess"][rid], outcome["theo"][rid]} == {"won", "stale"}
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
