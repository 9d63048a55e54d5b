"""The checkpoint's layout (issue 14, item 4): patients as short rows, each space's key
commitments and wrap digests decoded only when first read. It must hold the same policy as a
replay from the genesis entry, and a database writer's swapped key wrap must still be caught
with key material decoded lazily."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kap_notes.vault import access, audit, checkpoint, crypto, trust
from kap_notes.vault.errors import IntegrityError
from kap_notes.vault.policy import PatientFact, Policy
from kap_notes.vault.session import Session, wrap_context
from tests.postgres.harness import raw_db
from tests.vault.conftest import Clinic


def _checkpointed(clinic: Clinic, name: str = "tess") -> Session:
    session = clinic.unlock(name)
    with session.store.transaction():
        trust.write_cache(session.store, session.policy, session.key_pair, session.user_id)
    fresh = clinic.unlock(name)
    assert fresh.policy.records.lazy is not None  # opened from the checkpoint
    return fresh


def _plain(policy: Policy) -> dict[str, object]:
    return policy.to_dict(records=False)


def test_a_decoded_checkpoint_holds_the_replayed_policy(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    a = tess.create_patient({"kind": "patient", "name": "Synthetic A"})
    b = tess.create_patient({"kind": "patient", "name": "Synthetic B"})
    tess.process_space(a)
    access.grant(tess, a, "theo")
    access.rotate(tess, a)  # a second epoch: two commitments, more wraps
    access.request_grant(clinic.unlock("sam"), b, "theo")  # a pending request
    fresh = _checkpointed(clinic)
    full = trust.from_genesis(fresh.store, fresh.vault.vault_id)
    untouched = fresh.policy.patients[b]
    assert isinstance(untouched, checkpoint.LazyPatient)
    assert "wraps" not in vars(untouched)
    assert "commits" not in vars(untouched)
    assert _plain(fresh.policy)["patients"] == _plain(full)["patients"]  # decodes every space
    assert "wraps" in vars(untouched)
    assert fresh.policy.patients == full.patients
    assert full.patients == fresh.policy.patients
    assert len(fresh.policy.patients[a].commits) == 2
    assert fresh.policy.patients[b].requests
    assert fresh.get_record(a).content["name"] == "Synthetic A"


@settings(max_examples=20, deadline=None)
@given(
    st.dictionaries(st.integers(1, 2**33), st.sampled_from(["ab" * 32, "not hex", "AB" * 32])),
    st.dictionaries(
        st.tuples(st.integers(0, 2**33), st.sampled_from(["user_x", "break-glass", "a/b"])).map(
            lambda t: f"{t[0]}/{t[1]}"
        )
        | st.sampled_from(["odd", "01/user_x"]),
        st.sampled_from(["cd" * 32, "short"]),
    ),
)
def test_any_key_material_round_trips(commits: dict[int, str], wraps: dict[str, str]) -> None:
    policy = Policy("vault_x")
    policy.patients["pt_1"] = PatientFact("user_x", "patient", None, 1, commits, wraps, ["user_x"])
    policy.patients["pt_2"] = PatientFact("user_y", "process", "pt_1", 3, {1: "ef" * 32}, {}, [])
    decoded = checkpoint.decode(checkpoint.encode(policy), lambda space: [])
    assert decoded.patients["pt_1"].wraps == wraps
    assert decoded.patients["pt_1"].commits == commits
    assert decoded.patients == policy.patients


def test_a_truncated_checkpoint_does_not_decode() -> None:
    policy = Policy("vault_x")
    policy.patients["pt_1"] = PatientFact("u", "patient", None, 1, {1: "ab" * 32}, {}, ["u"])
    raw = checkpoint.encode(policy)
    with pytest.raises(ValueError, match="key material"):
        checkpoint.decode(raw[:-1], lambda space: [])


def test_a_swapped_key_wrap_is_caught_from_lazily_decoded_commitments(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic W"})
    fresh = _checkpointed(clinic)
    assert "commits" not in vars(fresh.policy.patients[patient])
    # a database writer wraps a key of their own choosing to tess, with the right context
    planted = crypto.random_bytes(32)
    epoch = fresh.policy.patients[patient].epoch
    context = wrap_context(clinic.vault.vault_id, patient, epoch, fresh.user_id)
    sealed = crypto.seal_to(fresh.key_pair.box_public, planted, context)
    with raw_db(clinic.location) as db:
        db.execute(
            "UPDATE wraps SET sealed = ? WHERE patient_id = ? AND epoch = ? AND recipient = ?",
            (sealed, patient, epoch, fresh.user_id),
        )
    with pytest.raises(IntegrityError, match="swapped"):
        clinic.unlock("tess").get_record(patient)
    report = audit.verify_chain(clinic.vault.store, clinic.vault.vault_id)
    assert any("key wrap" in p for p in report.problems), report.problems


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(["new", "grant", "rotate", "checkpoint"]), max_size=8))
def test_unlock_from_any_checkpoint_equals_the_replay(clinic: Clinic, steps: list[str]) -> None:
    tess = clinic.unlock("tess")
    patients = [tess.create_patient({"kind": "patient", "name": "Synthetic H0"})]
    for i, step in enumerate(steps):
        if step == "new":
            patients.append(tess.create_patient({"kind": "patient", "name": f"Synthetic H{i}"}))
        elif step == "grant" and "theo" not in tess.policy.patients[patients[-1]].readers:
            access.grant(tess, patients[-1], "theo")
        elif step == "rotate":
            access.rotate(tess, patients[0])
        elif step == "checkpoint":
            tess = _checkpointed(clinic)
    fresh = clinic.unlock("tess")
    full = trust.from_genesis(fresh.store, fresh.vault.vault_id)
    assert _plain(fresh.policy) == _plain(full)
    assert {p.patient_id for p in fresh.list_patients()} >= set(patients)


def test_a_rewritten_checkpoint_keeps_unread_key_material_and_changes_the_rest() -> None:
    policy = Policy("vault_x")
    for i in range(3):
        policy.patients[f"pt_{i}"] = PatientFact(
            f"user_{i}", "patient", None, 1, {1: f"{i}a" * 32}, {f"1/user_{i}": "cd" * 32}, []
        )
    first = checkpoint.decode(checkpoint.encode(policy), lambda space: [])
    first.patients["pt_1"].wraps["1/user_new"] = "ef" * 32  # read and changed
    first.patients["pt_3"] = PatientFact("user_new", "patient", None, 1, {}, {}, ["user_new"])
    again = checkpoint.decode(checkpoint.encode(first), lambda space: [])
    assert "wraps" not in vars(first.patients["pt_0"])  # copied as read, not decoded
    policy.patients["pt_1"].wraps["1/user_new"] = "ef" * 32
    policy.patients["pt_3"] = first.patients["pt_3"]
    assert again.patients == policy.patients
