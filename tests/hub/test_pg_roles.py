"""The runtime PostgreSQL role (what every clinician's server and kernel connects as): a whole
clinical day works through it; it cannot delete, truncate or rewrite history; and everything
it can still write is reported by ``audit verify`` (the trust model), attacker-style (SQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import errors

from kap_notes.vault import access, audit, pg_roles
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.errors import VaultError
from kap_notes.vault.vault import Vault
from tests.hub.conftest import Roles
from tests.vault_robustness.conftest import PASSPHRASES, Clinic, make_clinic


@dataclass
class Day:
    roles: Roles
    clinic: Clinic
    patient: str
    note: str


def _verify(url: str) -> audit.VerifyReport:
    vault = Vault.open(url, kdf_floor=FAST_KDF)
    try:
        return audit.verify_chain(vault.store, vault.vault_id)
    finally:
        vault.close()


@pytest.fixture
def day(vault_roles: Roles) -> Day:
    """The owner creates the vault and the runtime role's privileges; tess's day then runs
    entirely through the runtime role: a patient, a note in two versions, a grant, a revoke."""
    clinic = make_clinic(vault_roles.owner_url)
    clinic.close()
    pg_roles_report = pg_roles_setup(vault_roles)
    assert pg_roles_report.denied["audit"] == ["UPDATE", "DELETE", "TRUNCATE"]
    vault = Vault.open(vault_roles.runtime_url, kdf_floor=FAST_KDF)
    tess = vault.unlock("tess", PASSPHRASES["tess"])
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic R"})
    note = tess.put_record(patient, {"kind": "note", "n": 1})[0]
    tess.put_record(patient, {"kind": "note", "n": 2}, record_id=note, expected_version=1)
    access.grant(tess, patient, "theo")
    access.revoke(tess, patient, "theo")  # deletes theo's wraps, rotates: allowed
    vault.close()
    report = _verify(vault_roles.runtime_url)
    assert report.ok, report.problems
    return Day(vault_roles, clinic, patient, note)


def pg_roles_setup(roles: Roles) -> pg_roles.RoleReport:
    return pg_roles.setup_runtime_role(roles.owner_url, roles.runtime)


def test_a_clinicians_day_runs_as_the_runtime_role(day: Day) -> None:
    vault = Vault.open(day.roles.runtime_url, kdf_floor=FAST_KDF)
    try:
        tess = vault.unlock("tess", PASSPHRASES["tess"])
        assert tess.get_record(day.note).version == 2
        theo = vault.unlock("theo", PASSPHRASES["theo"])
        assert not theo.may_read(day.patient)  # revoked through the runtime role
    finally:
        vault.close()
    assert pg_roles.history_writable(day.roles.runtime_url) == []
    assert "audit: DELETE" in pg_roles.history_writable(day.roles.owner_url)


REFUSED = [
    "UPDATE audit SET actor = 'someone'",
    "DELETE FROM audit WHERE seq > 1",
    "TRUNCATE audit",
    "UPDATE record_versions SET blob = blob",
    "DELETE FROM record_versions",
    "TRUNCATE record_versions",
    "DELETE FROM records",
    "DELETE FROM patients",
    "DELETE FROM users",
    "DELETE FROM supervision",
    "UPDATE users SET role = 'admin'",
    "UPDATE patients SET owner_id = 'x'",
    "UPDATE wraps SET sealed = sealed",
    "TRUNCATE wraps",
    "DELETE FROM meta",
    "UPDATE records SET patient_id = 'x'",
    "ALTER TABLE audit DISABLE TRIGGER ALL",
    "DROP TABLE audit",
    "CREATE TABLE mine (x int)",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_runtime_role_cannot_rewrite_history(day: Day, statement: str) -> None:
    with (
        psycopg.connect(day.roles.runtime_url) as conn,
        pytest.raises(errors.InsufficientPrivilege),
    ):
        conn.execute(statement)  # type: ignore[arg-type]


def _wrap_of(conn: psycopg.Connection[object], recipient_name: str) -> tuple[object, ...]:
    row = conn.execute(
        "SELECT w.patient_id, w.epoch, w.recipient, w.sealed FROM wraps w "
        "JOIN users u ON u.user_id = w.recipient WHERE u.name = %s LIMIT 1",
        (recipient_name,),
    ).fetchone()
    assert row is not None
    return tuple(row)


def _tamper(conn: psycopg.Connection[object], attack: str, day: Day) -> None:
    one = conn.execute
    if attack == "roll back a record head":
        one("UPDATE records SET version = 1 WHERE record_id = %s", (day.note,))
    elif attack == "delete a key wrap":
        pid, epoch, rcp, _ = _wrap_of(conn, "tess")
        one("DELETE FROM wraps WHERE patient_id = %s AND recipient = %s", (pid, rcp))
    elif attack == "copy a wrap to another user":
        pid, epoch, _, sealed = _wrap_of(conn, "tess")
        (theo,) = one("SELECT user_id FROM users WHERE name = 'theo'").fetchone() or ("",)
        one("INSERT INTO wraps VALUES (%s, %s, %s, %s)", (pid, epoch, theo, sealed))
    elif attack == "swap a user's key wrap":
        one(
            "UPDATE users SET key_wrap = (SELECT key_wrap FROM users WHERE name = 'theo') "
            "WHERE name = 'tess'"
        )
    elif attack == "bump a patient's epoch":
        one("UPDATE patients SET epoch = epoch + 1 WHERE patient_id = %s", (day.patient,))
    elif attack == "add a supervision":
        one(
            "INSERT INTO supervision SELECT s.user_id, t.user_id FROM users s, users t "
            "WHERE s.name = 'theo' AND t.name = 'tess'"
        )
    elif attack == "add a pending grant":
        one(
            "INSERT INTO pending_grants SELECT %s, user_id FROM users WHERE name = 'sam'",
            (day.patient,),
        )
    elif attack == "replace the break-glass key":
        one("UPDATE meta SET value = repeat('ab', 32) WHERE key = 'break_glass_public'")
    elif attack == "append a forged record version":
        one(
            "INSERT INTO record_versions SELECT record_id, version + 10, blob "
            "FROM record_versions WHERE record_id = %s AND version = 2",
            (day.note,),
        )
    elif attack == "append an unsigned audit entry":
        one(
            "INSERT INTO audit SELECT seq + 1, entry, hash, signature, actor, action, patient, "
            "record, ts FROM audit ORDER BY seq DESC LIMIT 1"
        )
    else:  # pragma: no cover
        raise AssertionError(attack)


ATTACKS = [
    "roll back a record head",
    "delete a key wrap",
    "copy a wrap to another user",
    "swap a user's key wrap",
    "bump a patient's epoch",
    "add a supervision",
    "add a pending grant",
    "replace the break-glass key",
    "append a forged record version",
    "append an unsigned audit entry",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_what_the_runtime_role_can_still_write_is_detected(day: Day, attack: str) -> None:
    with psycopg.connect(day.roles.runtime_url) as conn:  # the runtime role may do this...
        _tamper(conn, attack, day)
    report = _verify(day.roles.owner_url)  # ...and the signed log reports it
    assert not report.ok, attack
    assert report.problems


def test_setup_refuses_an_unsafe_runtime_role(vault_roles: Roles) -> None:
    make_clinic(vault_roles.owner_url).close()
    with pytest.raises(VaultError, match="is \\(or is a member of\\) the owner role"):
        pg_roles_setup(Roles(vault_roles.owner_url, "", vault_roles.owner, vault_roles.owner))
    with pytest.raises(VaultError, match="CREATE ROLE kap_nobody LOGIN"):
        pg_roles_setup(Roles(vault_roles.owner_url, "", vault_roles.owner, "kap_nobody"))
    with pytest.raises(VaultError, match="lower-case letters"):
        pg_roles_setup(Roles(vault_roles.owner_url, "", vault_roles.owner, "x; DROP TABLE audit"))
    # nothing was granted by the refusals
    assert pg_roles.history_writable(vault_roles.runtime_url) == []
    with (
        psycopg.connect(vault_roles.runtime_url) as conn,
        pytest.raises(errors.InsufficientPrivilege),
    ):
        conn.execute("SELECT count(*) FROM audit")


def test_the_cli_sets_up_the_runtime_role(vault_roles: Roles) -> None:
    make_clinic(vault_roles.owner_url).close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAP_NOTES_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kap_notes.cli",
            "--json",
            "--vault",
            vault_roles.owner_url,
            "pg-roles",
            vault_roles.runtime,
        ],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["granted"]["audit"] == ["SELECT", "INSERT"]
    assert data["denied"]["record_versions"] == ["UPDATE", "DELETE", "TRUNCATE"]
    assert ":" not in data["database"].split("@")[0].removeprefix("postgresql://")  # no password
    with psycopg.connect(vault_roles.runtime_url) as conn:
        (entries,) = conn.execute("SELECT count(*) FROM audit").fetchone() or (0,)
    assert entries > 0  # the runtime role reads the vault now
