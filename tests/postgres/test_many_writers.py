"""Eight processes on one PostgreSQL vault: nothing lost, one verifiable chain; and a clinician
saving the same draft from two servers gets a clear conflict, never a silent overwrite (nobody
else may save over it at all)."""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from kap_notes.service import lifecycle, patients
from kap_notes.vault import access, audit
from kap_notes.vault.errors import NotAuthorised, StaleVersion
from tests.vault_robustness._helpers import audit_seqs, finish, query, start_together, worker
from tests.vault_robustness.conftest import PASSPHRASES, Clinic

PROCESSES = 8
WRITES_PER_PROCESS = 500
SHARED_RECORDS = 4
USERS = ("tess", "theo")  # four processes each: the same user may be logged in on many servers
# Only a note's author writes its later versions, so each user's four processes contend for
# notes of that user's own.


@pytest.mark.slow
def test_eight_processes_500_writes_each_lose_nothing(pg_clinic: Clinic, tmp_path: Path) -> None:
    clinic = pg_clinic
    # Given: one patient per process and, for each therapist, a patient with 4 notes that all
    # four of their processes update.
    sessions = {user: clinic.unlock(user) for user in USERS}
    shared_patients = {
        user: sessions[user].create_patient({"kind": "patient", "name": f"Synthetic S {user}"})
        for user in USERS
    }
    shared = {
        user: [
            sessions[user].put_record(
                shared_patients[user], {"kind": "note", "tag": f"seed-{user}-{k}"}
            )[0]
            for k in range(SHARED_RECORDS)
        ]
        for user in USERS
    }
    cfgs = []
    for n in range(PROCESSES):
        user = USERS[n % len(USERS)]
        own = sessions[user].create_patient({"kind": "patient", "name": f"Synthetic P{n}"})
        cfgs.append(
            {
                "vault": clinic.location,
                "user": user,
                "passphrase": PASSPHRASES[user],
                "ready": str(tmp_path / f"ready-{n}"),
                "go": str(tmp_path / "go"),
                "out": str(tmp_path / f"out-{n}.json"),
                "seed": n,
                "n": WRITES_PER_PROCESS,
                "own_patient": own,
                "shared_patient": shared_patients[user],
                "shared": shared[user],
            }
        )
    versions_before = query(clinic.location, "SELECT COUNT(*) FROM record_versions")[0][0]
    seq_before = audit_seqs(clinic.location)[-1]

    # When: 8 real processes write 500 times each, at once; every third write is an optimistic
    # update of a shared note, retried on StaleVersion.
    procs = [worker("writes", cfg) for cfg in cfgs]
    start_together(procs, cfgs, tmp_path / "go")
    for proc in procs:
        finish(proc, timeout=900)
    outs = [json.loads(Path(str(c["out"])).read_text()) for c in cfgs]
    results = [r for out in outs for r in out["results"]]

    # Then: all 4,000 writes are stored exactly once, each version with its own content.
    assert len(results) == PROCESSES * WRITES_PER_PROCESS
    assert len({(r["rid"], r["version"]) for r in results}) == len(results)
    versions_after = query(clinic.location, "SELECT COUNT(*) FROM record_versions")[0][0]
    assert versions_after - versions_before == PROCESSES * WRITES_PER_PROCESS
    readers = {user: clinic.unlock(user) for user in USERS}
    stored = {
        (r.record_id, r.version): r.content["tag"]
        for cfg in cfgs
        for r in readers[str(cfg["user"])].read_patient(str(cfg["own_patient"]))
        if r.record_id != cfg["own_patient"]
    }
    for cfg, out in zip(cfgs, outs, strict=True):
        for r in out["results"]:
            if r["op"] == "create":
                assert stored[(r["rid"], r["version"])] == r["tag"]
            else:
                got = readers[str(cfg["user"])].get_record(r["rid"], r["version"])
                assert got.content["tag"] == r["tag"]

    # And: each shared note has one linear history: every update replaced the one before it.
    updates = defaultdict(list)
    for r in results:
        if r["op"] == "update":
            updates[r["rid"]].append(r["version"])
    for user in USERS:
        for rid in shared[user]:
            mine = sorted(updates[rid])
            assert mine == list(range(2, len(mine) + 2))
            history = {v: readers[user].get_record(rid, v).content for v in range(1, len(mine) + 2)}
            for version in mine:
                assert history[version]["replaces"] == history[version - 1]["tag"]

    # And: one chain: contiguous, verifiable, every write audited once, writers interleaved.
    report = audit.verify_chain(readers["tess"].store, readers["tess"].vault.vault_id)
    assert report.ok, report.problems
    seqs = audit_seqs(clinic.location)
    assert seqs == list(range(1, len(seqs) + 1))
    writes = query(
        clinic.location,
        "SELECT actor FROM audit WHERE action IN ('create', 'update') AND seq > ? ORDER BY seq",
        (seq_before,),
    )
    per_actor = Counter(a for (a,) in writes)
    for user in USERS:
        assert per_actor[clinic.user_ids[user]] == WRITES_PER_PROCESS * PROCESSES // len(USERS)
    switches = sum(a != b for (a,), (b,) in itertools.pairwise(writes))
    assert switches >= 200, f"the writers barely overlapped ({switches} switches)"
    assert sum(out["retries"] for out in outs) >= 1


def test_the_same_draft_saved_from_two_servers_gets_a_conflict(pg_clinic: Clinic) -> None:
    # Given: tess writes a draft and has version 1 open on two servers (two unlocks); theo is
    # granted the patient.
    tess, tess_elsewhere = pg_clinic.unlock("tess"), pg_clinic.unlock("tess")
    theo = pg_clinic.unlock("theo")
    patient = patients.add_patient(
        tess, {"name": "Synthetic Draft", "date_of_birth": "1985-01-02", "contact": "synthetic"}
    )
    assert access.grant(tess, patient, "theo") == "granted"
    first = lifecycle.save_draft(tess, patient, "integration", {"insights": "tess, v1"})
    note, version = first.ref.note_id, first.ref.version

    # When: theo tries to save over it, tess saves her edit on one server, then her other edit
    # of the same version on the other.
    with pytest.raises(NotAuthorised, match="only its author saves it"):
        lifecycle.save_draft(
            theo,
            patient,
            "integration",
            {"insights": "theo, from v1"},
            note_id=note,
            expected_version=version,
        )
    lifecycle.save_draft(
        tess,
        patient,
        "integration",
        {"insights": "tess, v2"},
        note_id=note,
        expected_version=version,
    )
    with pytest.raises(StaleVersion, match=r"changed by someone else.*reopen it"):
        lifecycle.save_draft(
            tess_elsewhere,
            patient,
            "integration",
            {"insights": "tess, also from v1"},
            note_id=note,
            expected_version=version,
        )

    # Then: the first save stands, nothing else was stored or audited, and the chain verifies.
    assert theo.get_record(note).content["answers"]["insights"] == "tess, v2"
    assert tess_elsewhere.get_record(note).content["answers"]["insights"] == "tess, v2"
    assert query(
        pg_clinic.location,
        "SELECT version FROM record_versions WHERE record_id = ? ORDER BY 1",
        (note,),
    ) == [(1,), (2,)]
    assert query(
        pg_clinic.location,
        "SELECT COUNT(*) FROM audit WHERE record = ? AND action = 'update'",
        (note,),
    ) == [(1,)]
    assert audit.verify_chain(theo.store, theo.vault.vault_id).ok
