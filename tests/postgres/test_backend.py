"""The PostgreSQL store itself: choosing it by location, migrations, TLS, snapshots, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from kap_notes.vault import audit, backends
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.errors import VaultError, VaultNotFound
from kap_notes.vault.postgres import SCHEMA_VERSION, PostgresStore, redact
from kap_notes.vault.sqlite import SqliteStore
from kap_notes.vault.vault import Vault
from tests.postgres import harness
from tests.vault_robustness.conftest import PASSPHRASES, Clinic

from .harness import query


def test_location_chooses_the_backend_and_never_falls_back(
    pg_location: str, tmp_path: Path
) -> None:
    # A directory is SQLite; a postgresql:// URL is PostgreSQL; anything else is refused.
    with pytest.raises(VaultNotFound, match="no kap-notes vault at"):
        backends.open_store(tmp_path / "none")
    sqlite = backends.open_store(tmp_path / "new", create=True)
    assert isinstance(sqlite, SqliteStore)
    sqlite.close()
    with pytest.raises(VaultNotFound, match="no kap-notes vault in"):
        backends.open_store(pg_location)
    assert query(pg_location, "SELECT to_regclass('meta') IS NULL") == [(True,)]  # untouched
    store = backends.open_store(pg_location, create=True)
    assert isinstance(store, PostgresStore)
    store.close()
    for bad in ("mysql://host/db", "s3://bucket/vault", "file:///tmp/vault"):
        with pytest.raises(VaultError, match="unknown vault location scheme"):
            backends.open_store(bad)


def test_init_open_and_refusing_a_second_init(pg_location: str) -> None:
    created = Vault.init(
        pg_location, admin_name="ada", admin_passphrase="a" * 20, kdf=FAST_KDF, kdf_floor=FAST_KDF
    )
    try:
        assert created.vault.location == redact(pg_location)
        with pytest.raises(VaultError, match="a vault already exists"):
            Vault.init(
                pg_location,
                admin_name="eve",
                admin_passphrase="e" * 20,
                kdf=FAST_KDF,
                kdf_floor=FAST_KDF,
            )
        vault = Vault.open(pg_location, kdf_floor=FAST_KDF)
        assert vault.vault_id == created.vault.vault_id
        assert vault.unlock("ada", "a" * 20).user.name == "ada"
        assert audit.verify_chain(vault.store, vault.vault_id).ok
        vault.close()
    finally:
        created.vault.close()


def test_passwords_never_appear_in_locations_or_errors() -> None:
    url = "postgresql://kap:s3cr3t-pw@127.0.0.1:1/kap?sslmode=disable"
    assert redact(url) == "postgresql://kap@127.0.0.1:1/kap"
    with pytest.raises(VaultError, match="The vault's database cannot be reached") as caught:
        Vault.open(url)
    assert "s3cr3t" not in str(caught.value)


@pytest.mark.parametrize("sslmode", ["", "?sslmode=prefer", "?sslmode=disable", "?sslmode=allow"])
def test_remote_server_without_tls_is_refused(sslmode: str) -> None:
    with pytest.raises(VaultError, match="sslmode=verify-full") as caught:
        PostgresStore(f"postgresql://kap:pw@db.clinic.example:5432/vault{sslmode}")
    assert "pw@" not in str(caught.value)


def test_tls_settings_reach_libpq(pg_server: harness.Server, tmp_path: Path) -> None:
    # verify-full with a CA file that does not exist can never connect: not to a server without
    # TLS (the throwaway test cluster), nor to one with it. It must fail, never fall back.
    url = pg_server.create_database()
    tls = f"sslmode=verify-full&sslrootcert={tmp_path / 'missing-ca.pem'}"
    try:
        with pytest.raises(VaultError, match=r"cannot be reached .* SSL"):
            PostgresStore(url + ("&" if "?" in url else "?") + tls, create=True)
        assert query(url, "SELECT to_regclass('meta') IS NULL") == [(True,)]
    finally:
        pg_server.drop_database(url)


def test_migrations_are_recorded_and_a_newer_schema_is_refused(pg_clinic: Clinic) -> None:
    assert query(pg_clinic.location, "SELECT version FROM schema_version") == [
        (v,) for v in range(1, SCHEMA_VERSION + 1)
    ]
    query(pg_clinic.location, "INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION + 1,))
    with pytest.raises(VaultError, match="upgrade kap-notes"):
        Vault.open(pg_clinic.location, kdf_floor=FAST_KDF)


def test_concurrent_first_opens_migrate_once(pg_location: str) -> None:
    errors: list[BaseException] = []
    stores: list[PostgresStore] = []

    def create() -> None:
        try:
            stores.append(PostgresStore(pg_location, create=True))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert errors == []
    assert query(pg_location, "SELECT COUNT(*) FROM write_lock") == [(1,)]


def test_snapshot_sees_one_state_while_others_write(pg_clinic: Clinic) -> None:
    tess = pg_clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Snap"})
    reader = pg_clinic.open().store
    with reader.snapshot():
        before = [r.seq for r in reader.audit_rows()]
        tess.put_record(patient, {"kind": "note"})  # commits on another connection
        assert [r.seq for r in reader.audit_rows()] == before
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            reader._db.execute("DELETE FROM audit")
    assert len(list(reader.audit_rows())) > len(before)


def test_writes_outside_a_transaction_are_refused(pg_clinic: Clinic) -> None:
    store = pg_clinic.open().store
    with pytest.raises(RuntimeError, match="outside a transaction"):
        store.set_meta("x", "y")


def test_connections_are_per_thread_and_closed(pg_clinic: Clinic) -> None:
    store = pg_clinic.open().store
    seen: list[int] = []

    def backend_pid() -> None:
        row = store._db.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        seen.append(int(row[0]))

    threads = [threading.Thread(target=backend_pid) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    backend_pid()
    assert len(set(seen)) == 4
    store.close()
    assert query(
        pg_clinic.location,
        "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ANY(?)",
        (seen,),
    ) == [(0,)]


def test_cli_works_with_a_postgresql_url(pg_location: str) -> None:
    env = {
        **os.environ,
        "KAP_NOTES_FAST_KDF": "1",
        "KAP_NOTES_NEW_PASSPHRASE": PASSPHRASES["ada"],
        "KAP_NOTES_PASSPHRASE": PASSPHRASES["ada"],
    }
    cli = [sys.executable, "-m", "kap_notes.cli", "--vault", pg_location, "--json"]
    made = subprocess.run(
        [*cli, "init", "--admin", "ada", "--fast-kdf"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["vault"] == redact(pg_location)
    verified = subprocess.run(
        [*cli, "--user", "ada", "audit", "verify"],
        capture_output=True,
        text=True,
        check=False,
        env={**env, "KAP_NOTES_VAULT": "/nonexistent"},
    )
    assert verified.returncode == 0, verified.stderr
    by_env = subprocess.run(
        [sys.executable, "-m", "kap_notes.cli", "--user", "ada", "--json", "audit", "verify"],
        capture_output=True,
        text=True,
        check=False,
        env={**env, "KAP_NOTES_VAULT": pg_location},
    )
    assert by_env.returncode == 0, by_env.stderr


def test_a_dropped_idle_connection_is_replaced(pg_clinic: Clinic) -> None:
    # Given: a session whose database connection the server terminates (restart, failover).
    tess = pg_clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Reconnect"})
    row = tess.store._db.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    query(pg_clinic.location, "SELECT pg_terminate_backend(?)", (row[0],))
    # Then: the next call reconnects (nothing had been sent on the dead connection) ...
    assert len(tess.read_patient(patient)) == 1
    # ... and so does a save (a connection lost inside a save: tests/postgres/test_outage.py).
    row = tess.store._db.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    query(pg_clinic.location, "SELECT pg_terminate_backend(?)", (row[0],))
    tess.put_record(patient, {"kind": "note"})
    assert audit.verify_chain(tess.store, tess.vault.vault_id).ok
