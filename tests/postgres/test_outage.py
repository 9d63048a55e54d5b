"""Issue 12, observation 3: a PostgreSQL outage is 503 with a message a clinician can act on
(not a 400 that blames the client), nothing half-saved, and everything works again once the
server is back. The tests stop and start their own throwaway cluster (not the shared one)."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from psycopg import conninfo

from kap_notes.errors import StorageUnavailable
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault import audit
from kap_notes.vault.faults import NOT_SAVED
from tests.conftest import PASSPHRASES as SERVER_PASSPHRASES
from tests.conftest import create_clinic_vault
from tests.postgres import harness
from tests.postgres.harness import query
from tests.server.api import Fetch, call, failure
from tests.vault_robustness.conftest import Clinic, make_clinic

UNREACHABLE = "The vault's database cannot be reached"


class Cluster:
    """A throwaway PostgreSQL cluster this module may stop and start again on the same port."""

    def __init__(self) -> None:
        self.server = harness._start_cluster()
        assert self.server.cluster is not None
        self.root = self.server.cluster

    def _pg_ctl(self, *args: str) -> None:
        cmd = [str(harness._bindir() / "pg_ctl"), "-D", str(self.root / "data"), *args]
        done = subprocess.run(
            harness._as_owner(cmd),
            check=False,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, done.stderr

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        port = conninfo.conninfo_to_dict(self.server.admin_url)["port"]
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories=''"
        self._pg_ctl("-l", str(self.root / "log"), "-w", "-t", "60", "-o", options, "start")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    made = Cluster()
    yield made
    harness._stop_cluster(made.root)


@pytest.fixture
def outage_clinic(cluster: Cluster) -> Iterator[Clinic]:
    made = make_clinic(cluster.server.create_database())
    yield made
    made.close()


def test_a_stopped_server_is_503_and_nothing_is_lost(
    cluster: Cluster, outage_clinic: Clinic
) -> None:
    tess = outage_clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Outage"})
    acknowledged = {tess.put_record(patient, {"kind": "note", "n": n})[0] for n in range(2)}
    cluster.stop()
    try:
        with pytest.raises(StorageUnavailable) as saving:
            tess.put_record(patient, {"kind": "note", "n": "lost"})
        with pytest.raises(StorageUnavailable) as reading:
            tess.read_patient(patient)
    finally:
        cluster.start()
    assert saving.value.status == 503
    assert str(saving.value).startswith(f"{UNREACHABLE} (")
    assert NOT_SAVED in str(saving.value)
    assert "postgresql://kap@127.0.0.1" in str(saving.value)  # where, never the password
    assert "kap:" not in str(saving.value)
    assert UNREACHABLE in str(reading.value)
    # the server is back: the same session reconnects, saves, and nothing acknowledged is lost
    after, _ = tess.put_record(patient, {"kind": "note", "n": "after"})
    stored = {r.record_id: r.content for r in tess.read_patient(patient)}
    assert acknowledged | {after} <= stored.keys()
    assert "lost" not in [c.get("n") for c in stored.values()]
    assert audit.verify_chain(tess.store, tess.vault.vault_id).ok


def test_an_idle_connection_the_server_dropped_is_replaced_without_an_error(
    outage_clinic: Clinic,
) -> None:
    tess = outage_clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", "name": "Synthetic Reconnect"})

    def backend_pid() -> int:
        row = tess.store._db.execute("SELECT pg_backend_pid()").fetchone()  # type: ignore[attr-defined]
        assert row is not None
        return int(row[0])

    for work in (lambda: tess.read_patient(patient), lambda: tess.put_record(patient, {})):
        dropped = backend_pid()
        query(outage_clinic.location, "SELECT pg_terminate_backend(?)", (dropped,))
        work()  # a read, then a save: nothing had been sent on the dead connection
        assert backend_pid() != dropped


def test_a_connection_lost_inside_a_save_is_503_and_rolled_back(outage_clinic: Clinic) -> None:
    tess = outage_clinic.unlock("tess")
    store = tess.store

    def save_while_the_connection_drops() -> None:
        with store.transaction():
            row = store._db.execute("SELECT pg_backend_pid()").fetchone()  # type: ignore[attr-defined]
            query(outage_clinic.location, "SELECT pg_terminate_backend(?)", (row[0],))
            store.set_meta("outage_probe", "written")

    with pytest.raises(StorageUnavailable) as lost:
        save_while_the_connection_drops()
    assert lost.value.status == 503
    assert NOT_SAVED in str(lost.value)
    assert store.get_meta("outage_probe") is None


# ------------------------------------------------------------------------------------ REST
@pytest.fixture
def outage_url(cluster: Cluster) -> str:
    url = cluster.server.create_database()
    created, _codes = create_clinic_vault(url)
    created.vault.close()
    return url


@pytest.fixture
def jp_server_config(outage_url: str) -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {"kap_notes.server": True},
            "allow_unauthenticated_access": False,
        },
        "KapNotesApp": {"vault": outage_url, "fast_kdf": True},
    }


async def test_rest_answers_503_while_the_database_is_down(
    jp_fetch: Fetch, cluster: Cluster
) -> None:
    await call(jp_fetch, "unlock", {"user": "tess", "passphrase": SERVER_PASSPHRASES["tess"]})
    course = synthetic_course(13, start=dt.date(2026, 7, 6))
    patient = (await call(jp_fetch, "ops/add_patient", {"data": course.profile}))["patient_id"]
    body = {"patient_id": patient, "form": "intention", "answers": {"hopes": "saved"}}
    first = (await call(jp_fetch, "ops/save_draft", body))["note_id"]
    cluster.stop()
    try:
        code, error = await failure(jp_fetch, "ops/save_draft", {**body, "answers": {}})
    finally:
        cluster.start()
    assert code == 503, error
    assert error["type"] == "StorageUnavailable"
    assert UNREACHABLE in error["error"]
    assert NOT_SAVED in error["error"]
    second = (await call(jp_fetch, "ops/save_draft", body))["note_id"]
    notes = await call(jp_fetch, "ops/list_notes", {"patient_id": patient})
    assert {n["note_id"] for n in notes} == {first, second}
