"""The compact checkpoint and the sealed patient list (issue 14, item 4) against a database writer.

A checkpoint carries no record facts: a sorted record index and one digest per patient space,
sealed to its user. A space's facts are rebuilt from that patient's audit entries only when
something touches it. The patient list keeps the profiles a user last decrypted, sealed to them.
Whatever a database writer edits, replays or swaps must be caught or make no difference.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kap_notes.vault import access, audit, directory, trust
from kap_notes.vault.errors import IntegrityError, NotAuthorised
from kap_notes.vault.session import Session
from tests.postgres.harness import raw_db
from tests.vault.conftest import Clinic

LIST = directory.PREFIX
CACHE = trust.CACHE_PREFIX


def _checkpoint(clinic: Clinic, name: str = "tess") -> Session:
    """``name`` unlocked, with their checkpoint rewritten now (everything so far lies behind it)."""
    session = clinic.unlock(name)
    with session.store.transaction():
        trust.write_cache(session.store, session.policy, session.key_pair, session.user_id)
    return clinic.unlock(name)


def _meta(clinic: Clinic, key: str) -> str | None:
    return clinic.vault.store.get_meta(key)


def _set_meta(clinic: Clinic, key: str, value: str) -> None:
    with raw_db(clinic.location) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))


def test_a_fresh_unlock_rebuilds_only_what_it_touches_and_agrees_with_the_log(
    clinic: Clinic,
) -> None:
    tess = clinic.unlock("tess")
    a = tess.create_patient({"kind": "patient", "name": "Synthetic A"})
    b = tess.create_patient({"kind": "patient", "name": "Synthetic B"})
    rid, _ = tess.put_record(a, {"v": 1})
    tess.put_record(a, {"v": 2}, record_id=rid, expected_version=1)
    tess.put_record(b, {"v": "b"})
    tess = _checkpoint(clinic)
    assert tess.policy.records.lazy is not None
    assert tess.policy.records.loaded_spaces() == set()  # nothing rebuilt at unlock
    assert tess.get_record(rid).content == {"v": 2}
    assert a in tess.policy.records.loaded_spaces()
    assert b not in tess.policy.records.loaded_spaces()
    full = trust.from_genesis(tess.store, tess.vault.vault_id)
    for space in (a, b):
        assert tess.policy.records_of(space) == full.records_of(space)
        for r in full.records_of(space):
            assert tess.policy.records[r] == full.records[r]


def test_an_old_entry_edited_behind_the_checkpoint_is_caught_when_its_patient_is_touched(
    clinic: Clinic,
) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Edited"})
    rid, _ = tess.put_record(patient, {"v": 1})
    _checkpoint(clinic)
    with raw_db(clinic.location) as db:  # the note's create entry dropped from the log
        db.execute("DELETE FROM audit WHERE record = ? AND action = 'create'", (rid,))
    tess = clinic.unlock("tess")  # unlock reads no old entry: it opens
    with pytest.raises(IntegrityError, match=rf"audit entries of patient {patient}"):
        tess.read_patient(patient)
    with pytest.raises(IntegrityError, match="audit entries of patient"):
        tess.get_record(rid)
    report = audit.verify_chain(clinic.vault.store, clinic.vault.vault_id)
    assert not report.ok


def test_an_entry_moved_to_another_patient_behind_the_checkpoint_is_caught(
    clinic: Clinic,
) -> None:
    tess = clinic.unlock("tess")
    a = tess.create_patient({"kind": "patient", "name": "Synthetic From"})
    b = tess.create_patient({"kind": "patient", "name": "Synthetic To"})
    rid, _ = tess.put_record(a, {"v": 1})
    _checkpoint(clinic)
    with raw_db(clinic.location) as db:  # the indexed patient column rewritten
        db.execute("UPDATE audit SET patient = ? WHERE record = ?", (b, rid))
    tess = clinic.unlock("tess")
    for patient in (a, b):
        with pytest.raises(IntegrityError, match="audit entries of patient"):
            tess.read_patient(patient)


def test_a_signed_create_of_an_existing_record_id_is_refused_from_an_unloaded_space(
    clinic: Clinic,
) -> None:
    tess = clinic.unlock("tess")
    a = tess.create_patient({"kind": "patient", "name": "Synthetic Owner"})
    b = tess.create_patient({"kind": "patient", "name": "Synthetic Other"})
    rid, _ = tess.put_record(a, {"v": 1})
    tess = _checkpoint(clinic)
    assert a not in tess.policy.records.loaded_spaces()
    with pytest.raises(NotAuthorised, match="already exists"), tess.writing():
        tess.audit("create", b, rid, 1, "00" * 32)  # the index finds it in a, unloaded


def test_an_older_checkpoint_put_back_is_replayed_forward(clinic: Clinic) -> None:
    tess = _checkpoint(clinic)
    old = _meta(clinic, CACHE + tess.user_id)
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Later"})
    rid, _ = tess.put_record(patient, {"v": 1})
    tess.put_record(patient, {"v": 2}, record_id=rid, expected_version=1)
    _checkpoint(clinic)
    _set_meta(clinic, CACHE + tess.user_id, old or "")
    with raw_db(clinic.location) as db:  # and the note rolled back to version 1
        db.execute("UPDATE records SET version = 1 WHERE record_id = ?", (rid,))
    with pytest.raises(IntegrityError, match="rolled back"):
        clinic.unlock("tess")  # the replay from the old checkpoint holds the newer writes


def test_a_checkpoint_or_patient_list_swapped_to_another_user_opens_for_nobody(
    clinic: Clinic,
) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Private"})
    tess = _checkpoint(clinic)
    tess.list_patients()
    theo = _checkpoint(clinic, "theo")
    theo.list_patients()
    for prefix in (CACHE, LIST):
        _set_meta(clinic, prefix + theo.user_id, _meta(clinic, prefix + tess.user_id) or "")
    theo = clinic.unlock("theo")  # tess's checkpoint does not open: replayed from genesis
    assert patient not in theo.readable_patients()
    assert directory.read(theo.store, theo.vault.vault_id, theo.key_pair, theo.user_id) == {}
    assert patient not in {p.patient_id for p in theo.list_patients()}


def test_an_older_patient_list_put_back_shows_the_current_profile(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Old Name"})
    assert [p.content["name"] for p in tess.list_patients()] == ["Synthetic Old Name"]
    old = _meta(clinic, LIST + tess.user_id)
    tess.put_record(
        patient,
        {"kind": "patient", "name": "Synthetic New Name"},
        record_id=patient,
        expected_version=1,
    )
    tess.list_patients()
    _set_meta(clinic, LIST + tess.user_id, old or "")
    tess = clinic.unlock("tess")
    assert [p.content["name"] for p in tess.list_patients()] == ["Synthetic New Name"]


def test_revocation_and_shredding_empty_the_patient_lists(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Shared"})
    access.grant(tess, patient, "theo")
    theo = clinic.unlock("theo")
    assert [p.patient_id for p in theo.list_patients()] == [patient]
    assert _meta(clinic, LIST + theo.user_id)
    access.revoke(tess, patient, "theo")
    assert _meta(clinic, LIST + theo.user_id) == ""
    assert clinic.unlock("theo").list_patients() == []
    tess.list_patients()
    assert _meta(clinic, LIST + tess.user_id)
    access.shred(clinic.admin, patient)
    assert _meta(clinic, LIST + tess.user_id) == ""


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["new", "note", "update", "profile", "checkpoint"]), st.integers(0, 3)
        ),
        min_size=1,
        max_size=12,
    )
)
def test_lazy_policy_equals_the_replay_from_genesis(
    clinic: Clinic, steps: list[tuple[str, int]]
) -> None:
    tess = clinic.unlock("tess")
    patients = [tess.create_patient({"kind": "patient", "name": "Synthetic P0"})]
    notes: list[tuple[str, str, int]] = []
    for op, n in steps:
        if op == "new":
            patients.append(tess.create_patient({"kind": "patient", "name": f"Synthetic {n}"}))
        elif op == "note":
            rid, v = tess.put_record(patients[n % len(patients)], {"n": n})
            notes.append((patients[n % len(patients)], rid, v))
        elif op == "update" and notes:
            pid, rid, v = notes.pop(n % len(notes))
            notes.append(
                (pid, rid, tess.put_record(pid, {"n": n}, record_id=rid, expected_version=v)[1])
            )
        elif op == "profile":
            pid = patients[n % len(patients)]
            version = len(tess.policy.records[pid].digests)
            tess.put_record(
                pid,
                {"kind": "patient", "name": f"Synthetic R{n}"},
                record_id=pid,
                expected_version=version,
            )
        elif op == "checkpoint":
            tess = _checkpoint(clinic)
    fresh = clinic.unlock("tess")
    full = trust.from_genesis(fresh.store, fresh.vault.vault_id)
    names = {p.patient_id: p.content["name"] for p in fresh.list_patients()}
    for pid in patients:
        assert fresh.policy.records.head(pid, pid) == (
            len(full.records[pid].digests),
            full.records[pid].digests[-1],
        )
        assert fresh.policy.records_of(pid) == full.records_of(pid)
        assert names[pid] == fresh.get_record(pid).content["name"]
    for _, rid, version in notes:
        assert fresh.policy.records[rid] == full.records[rid]
        assert len(full.records[rid].digests) == version
