"""Spawn → usable JupyterLab on a real JupyterHub (issue 13: target ≤ 5 s, median).

Starts deploy/jupyterhub_config.py through tests/hub/harness.py (local spawner, configurable-
http-proxy from npm, a PostgreSQL vault as the runtime role), then starts and stops one
clinician's server several times and prints the medians: spawn request → JupyterLab page
through the proxy, and → kap-notes status answering (the extension loaded).
Run: python benchmarks/hub_spawn.py [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._timing import Row, table
from tests.hub import harness
from tests.hub.conftest import made_roles
from tests.hub.test_hub import _pgpass
from tests.postgres import harness as pg
from tests.vault_robustness.conftest import make_clinic

from kap_notes.vault import pg_roles

TARGET_S = 5.0


def _status_after(hub: harness.Hub, name: str, start: float) -> float:
    while True:
        answer = hub.user("GET", f"/user/{name}/kap-notes/api/status", name)
        if answer.status_code == 200:
            return time.perf_counter() - start
        time.sleep(0.05)


def _stopped(hub: harness.Hub, name: str) -> None:
    hub.stop_server(name)
    for _ in range(600):
        if not hub.api("GET", f"/users/{name}", name).json()["servers"]:
            return
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    lab, status = [], []
    with (
        pg.shared_server() as server,
        made_roles(server) as roles,
        tempfile.TemporaryDirectory(prefix="kap-hub-bench-") as tmp,
    ):
        make_clinic(roles.owner_url).close()
        pg_roles.setup_runtime_role(roles.owner_url, roles.runtime)
        url, pgpass = _pgpass(Path(tmp), roles.runtime_url)
        with harness.running_hub(
            Path(tmp), vault_url=url, pgpass=pgpass, clinicians="tess", admins="ada"
        ) as hub:
            hub.login("tess")
            for _ in range(args.repeats):
                start = time.perf_counter()
                lab.append(hub.spawn("tess"))
                status.append(_status_after(hub, "tess", start))
                _stopped(hub, "tess")
    lab_med, status_med = statistics.median(lab), statistics.median(status)
    rows = [
        Row(
            "spawn -> JupyterLab page (proxy)",
            f"{lab_med:.2f} s",
            f"<= {TARGET_S:.0f} s",
            lab_med <= TARGET_S,
        ),
        Row("spawn -> kap-notes status answers", f"{status_med:.2f} s", "-", None),
        Row("runs", str(args.repeats), "-", None),
    ]
    print(table(rows))


if __name__ == "__main__":
    main()
