"""``audit verify`` with its signatures checked ahead in threads (issue 14, item 4) reports what
the serial replay reports: on a clean vault, and whatever a database writer forges or edits."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kap_notes.vault import audit, verify
from kap_notes.vault.crypto import KeyPair
from kap_notes.vault.session import Session
from tests.postgres.harness import query, raw_db
from tests.vault._attacker import append_signed, assert_names_entry, forge_user
from tests.vault.conftest import Clinic


def _activity(clinic: Clinic) -> Session:
    """A few patients, notes, updates and a signed note, so every kind of entry is there."""
    tess = clinic.unlock("tess")
    for n in range(3):
        pid = tess.create_patient({"kind": "patient", "name": f"Synthetic V{n}"})
        rid, v = tess.put_record(pid, {"n": n})
        tess.put_record(pid, {"n": n + 10}, record_id=rid, expected_version=v)
        tess.read_patient(pid)
    return tess


def _reports(clinic: Clinic) -> list[audit.VerifyReport]:
    store, vid = clinic.vault.store, clinic.vault.vault_id
    return [audit.verify_chain(store, vid, workers=w) for w in (1, 2, 4)]


def _same(reports: list[audit.VerifyReport]) -> audit.VerifyReport:
    first = reports[0]
    for other in reports[1:]:
        assert (other.ok, other.entries, other.records, other.problems) == (
            first.ok,
            first.entries,
            first.records,
            first.problems,
        )
    return first


def test_parallel_verify_agrees_with_serial_on_a_clean_vault(clinic: Clinic) -> None:
    _activity(clinic)
    report = _same(_reports(clinic))
    assert report.ok, report.problems
    assert report.records == 6  # 3 profiles, 3 notes
    rows = list(clinic.vault.store.audit_rows())
    # every entry's signature was checked ahead, none left for the serial replay
    assert set(verify.precheck(rows, 2)) == {row.seq for row in rows}


def test_a_forged_entry_is_named_by_both(clinic: Clinic) -> None:
    tess = _activity(clinic)
    store = clinic.vault.store
    sam_id = clinic.unlock("sam").user_id
    # signed with tess's own key but claiming to be sam's act
    forged = append_signed(store, tess.key_pair, sam_id, "read", patient=None)
    report = _same(_reports(clinic))
    assert not report.ok
    assert_names_entry(report.problems[0], forged.seq)
    assert "signature" in report.problems[0]
    rows = list(store.audit_rows())
    assert forged.seq not in verify.precheck(rows, 2)


def test_a_self_added_user_whose_signatures_verify_is_still_refused(clinic: Clinic) -> None:
    _activity(clinic)
    mallory = forge_user(
        clinic.vault.store, clinic.location, clinic.vault.vault_id, "mallory", "admin"
    )
    rows = list(clinic.vault.store.audit_rows())
    assert mallory.entry.seq in verify.precheck(rows, 2)  # her own key signed it ...
    report = _same(_reports(clinic))  # ... but no admin added her
    assert not report.ok
    assert_names_entry(report.problems[0], mallory.entry.seq)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(0, 10_000), st.sampled_from(["flip", "swap", "actor", "resign"]))
def test_any_tampered_entry_gets_the_same_report(clinic: Clinic, pick: int, how: str) -> None:
    if not hasattr(clinic, "_tamper_tess"):
        clinic._tamper_tess = _activity(clinic)  # type: ignore[attr-defined]
    tess: Session = clinic._tamper_tess  # type: ignore[attr-defined]
    rows = query(clinic.location, "SELECT seq, signature, actor, hash FROM audit ORDER BY seq")
    seq, signature, actor, digest = rows[pick % len(rows)]
    other = rows[(pick + 1) % len(rows)]
    new: tuple[str, object]
    if how == "flip":
        new = ("signature", bytes([signature[0] ^ 1]) + bytes(signature)[1:])
    elif how == "swap":
        new = ("signature", bytes(other[1]) if other[1] != signature else b"\0" * 64)
    elif how == "actor":
        new = ("actor", tess.user_id if actor != tess.user_id else str(other[2]))
        if new[1] == actor:
            new = ("actor", "user_nobody")
    else:
        new = ("signature", KeyPair.generate().signing.sign(bytes(digest)))
    with raw_db(clinic.location) as db:
        db.execute(f"UPDATE audit SET {new[0]} = ? WHERE seq = ?", (new[1], seq))  # noqa: S608
    try:
        report = _same(_reports(clinic))
        assert not report.ok
        assert_names_entry(report.problems[0], seq)
    finally:
        original = signature if new[0] == "signature" else actor
        with raw_db(clinic.location) as db:
            db.execute(f"UPDATE audit SET {new[0]} = ? WHERE seq = ?", (original, seq))  # noqa: S608
    assert _same(_reports(clinic)).ok


@pytest.mark.parametrize("workers", [1, 3])
def test_a_precheck_vouches_only_for_the_key_it_was_made_with(clinic: Clinic, workers: int) -> None:
    _activity(clinic)
    rows = list(clinic.vault.store.audit_rows())
    policy = verify.PrecheckedPolicy(clinic.vault.vault_id, rows, workers)
    last = rows[-1]
    assert policy.signature_ok(verify.added_keys(rows)[last.actor], last)
    assert not policy.signature_ok(KeyPair.generate().signing_public, last)
