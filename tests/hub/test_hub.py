"""A real JupyterHub (deploy/jupyterhub_config.py, configurable-http-proxy from npm) with two
clinicians (tess, theo) and a hub admin (ada), over a PostgreSQL vault reached as the runtime
role through a .pgpass file. Proves: each clinician's server unlocks only as them; the hub admin
cannot enter a clinician's server nor read a patient by any route (hub API, proxy, user-server
REST, her own server); the runtime role cannot rewrite history. See harness.py for the spawner."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import conninfo, errors

from kap_notes.model.patient import SEXES
from kap_notes.vault import pg_roles
from tests.hub import harness
from tests.hub.conftest import made_roles
from tests.postgres import harness as pg
from tests.vault_robustness.conftest import PASSPHRASES, make_clinic

API = "/kap-notes/api"
NAME = "Synthetic Hubpatient Q7"


@dataclass
class Deployment:
    hub: harness.Hub
    runtime_url: str  # without a password: the .pgpass file holds it
    pgpass: Path
    patient: str  # tess's patient


def _pgpass(tmp: Path, url: str) -> tuple[str, Path]:
    """The runtime URL without its password, and a 0600 .pgpass file holding it."""
    p = conninfo.conninfo_to_dict(url)
    line = f"{p['host']}:{p['port']}:{p['dbname']}:{p['user']}:{p['password']}\n"
    path = tmp / "runtime.pgpass"
    path.write_text(line)
    path.chmod(0o600)
    return f"postgresql://{p['user']}@{p['host']}:{p['port']}/{p['dbname']}", path


@pytest.fixture(scope="module")
def deployment(
    pg_server: pg.Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("hub")
    with made_roles(pg_server) as roles:
        make_clinic(roles.owner_url).close()  # ada (admin), tess, theo, sam
        pg_roles.setup_runtime_role(roles.owner_url, roles.runtime)
        url, pgpass = _pgpass(tmp, roles.runtime_url)
        with harness.running_hub(
            tmp, vault_url=url, pgpass=pgpass, clinicians="tess,theo", admins="ada"
        ) as hub:
            for name in ("tess", "theo", "ada"):
                hub.login(name)
            for name in ("tess", "theo", "ada"):
                hub.spawn(name)
            unlocked = _unlock(hub, "tess", "tess")
            assert unlocked.status_code == 200, unlocked.text
            profile = {"name": NAME, "date_of_birth": "1981-02-03", "sex": SEXES[0]}
            added = hub.user(
                "POST", f"/user/tess{API}/ops/add_patient", "tess", json={"data": profile}
            )
            assert added.status_code == 200, added.text
            yield Deployment(hub, url, pgpass, added.json()["patient_id"])


def _unlock(hub: harness.Hub, server: str, as_user: str, who: str | None = None) -> object:
    return hub.user(
        "POST",
        f"/user/{server}{API}/unlock",
        who or server,
        json={"user": as_user, "passphrase": PASSPHRASES[as_user]},
    )


def test_each_clinicians_server_unlocks_only_as_them(deployment: Deployment) -> None:
    hub = deployment.hub
    # theo's server, with tess's correct passphrase: refused, the hub user is bound
    refused = hub.user(
        "POST",
        f"/user/theo{API}/unlock",
        "theo",
        json={"user": "tess", "passphrase": PASSPHRASES["tess"]},
    )
    assert refused.status_code == 403, refused.text
    assert "unlocks only as vault user theo, not tess" in refused.json()["message"]
    assert hub.user("GET", f"/user/theo{API}/status", "theo").json()["unlocked"] is False
    ok = _unlock(hub, "theo", "theo")
    assert ok.status_code == 200, ok.text
    assert ok.json()["user"] == "theo"
    # tess's keys stay in tess's server: theo's sees none of her patients
    theirs = hub.user("POST", f"/user/theo{API}/ops/list_patients", "theo", json={})
    assert theirs.status_code == 200
    assert NAME not in theirs.text
    mine = hub.user("POST", f"/user/tess{API}/ops/list_patients", "tess", json={})
    assert NAME in mine.text
    # a clinician cannot reach another clinician's server at all
    assert hub.user("GET", f"/user/tess{API}/status", "theo").status_code in (302, 403)


def test_the_hub_admin_cannot_enter_a_clinicians_server(deployment: Deployment) -> None:
    hub = deployment.hub
    routes = [
        ("GET", "/user/tess/lab"),
        ("GET", f"/user/tess{API}/status"),
        ("POST", f"/user/tess{API}/ops/list_patients"),
        ("GET", "/user/tess/api/contents/kap-vault"),
        ("GET", "/user/tess/api/kernels"),
    ]
    for method, path in routes:
        answer = hub.user(method, path, "ada", json={} if method == "POST" else None)
        assert answer.status_code in (302, 403), (path, answer.status_code)
        assert NAME not in answer.text
        if answer.status_code == 302:  # sent back to the hub's OAuth, which refuses her
            assert "/hub/" in answer.headers["Location"]


def test_the_hub_admin_cannot_get_in_through_the_hub_api(deployment: Deployment) -> None:
    hub = deployment.hub
    seen = hub.api("GET", "/users/tess", "ada")
    assert seen.status_code == 200  # the custom role sees users and servers...
    assert "auth_state" not in seen.json()
    refused = {
        "token for tess": hub.api("POST", "/users/tess/tokens", "ada", json={}),
        "make herself admin": hub.api("PATCH", "/users/ada", "ada", json={"admin": True}),
        "share tess's server": hub.api("POST", "/shares/tess/", "ada", json={"user": "ada"}),
        "admin access cookie": hub.api("POST", "/users/tess/admin-access", "ada"),
        "rename tess": hub.api("PATCH", "/users/tess", "ada", json={"name": "tess2"}),
        "server state": hub.api("GET", "/users/tess/server/state", "ada"),
    }
    for what, answer in refused.items():
        assert answer.status_code in (403, 404), (what, answer.status_code, answer.text)
    roles = hub.api("GET", "/users/ada", "ada").json()["roles"]
    assert "admin" not in roles
    assert "clinic-hub-admin" in roles
    culler = hub.api("GET", "/services/idle-culler", "ada")
    assert culler.status_code == 200, culler.text  # installed and running as a hub service
    assert "jupyterhub_idle_culler" in " ".join(culler.json()["command"])


def test_the_hub_admin_reads_no_patient_from_her_own_server(deployment: Deployment) -> None:
    hub = deployment.hub
    stolen = _unlock(hub, "ada", "tess", "ada")  # even with tess's passphrase
    assert stolen.status_code == 403
    assert _unlock(hub, "ada", "ada").status_code == 200
    listed = hub.user("POST", f"/user/ada{API}/ops/list_patients", "ada", json={})
    assert listed.status_code == 200
    assert NAME not in listed.text  # a vault admin is never a reader by office
    opened = hub.user(
        "POST", f"/user/ada{API}/ops/list_notes", "ada", json={"patient_id": deployment.patient}
    )
    assert opened.status_code in (403, 404), opened.text
    assert NAME not in opened.text


def test_servers_reach_the_vault_as_the_runtime_role(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSFILE", str(deployment.pgpass))
    assert ":" not in deployment.runtime_url.split("@")[0].removeprefix("postgresql://")
    assert pg_roles.history_writable(deployment.runtime_url) == []
    with (
        psycopg.connect(deployment.runtime_url) as conn,
        pytest.raises(errors.InsufficientPrivilege),
    ):
        conn.execute("DELETE FROM audit")
