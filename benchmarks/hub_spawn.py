"""Spawn → usable JupyterLab on a real JupyterHub (issue 13: target ≤ 5 s, median), with where
the time goes.

Starts deploy/jupyterhub_config.py twice through tests/hub/harness.py (local spawner,
configurable-http-proxy from npm, a PostgreSQL vault as the runtime role): once with the user
servers as this venv installs them, once as the recommended user image (docs/deploy.md: no
rfc3987-syntax, no node). Spawns alternate between the two hubs so both see the same load.
Prints medians: spawn request → JupyterLab page through the proxy, → kap-notes status, and a
breakdown from the hub's log timestamps.
Run: python benchmarks/hub_spawn.py [--repeats N]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime
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
STAMP = re.compile(r"^\[\w (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ")
# (phase, log line that ends it); each phase starts where the previous one ended
PHASES = [
    ("hub prepares (oauth client, spawner)", "] Spawning "),
    ("server process: Python imports", " ServerApp] "),
    ("server: extensions linked, listening", "is running at"),
    ("hub sees the server", "seconds to start"),
]


def _stamps(log: Path, offset: int) -> dict[str, float]:
    """Wall time of the first line after ``offset`` that ends each phase (in order)."""
    found: dict[str, float] = {}
    lines = iter(log.read_bytes()[offset:].decode(errors="replace").splitlines())
    for phase, marker in PHASES:
        for line in lines:
            stamp = STAMP.match(line)
            if stamp and marker in line:
                when = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S.%f")
                found[phase] = when.timestamp()
                break
    return found


def _status_after(hub: harness.Hub, name: str) -> None:
    while hub.user("GET", f"/user/{name}/kap-notes/api/status", name).status_code != 200:
        time.sleep(0.05)


def _stopped(hub: harness.Hub, name: str) -> None:
    hub.stop_server(name)
    for _ in range(600):
        if not hub.api("GET", f"/users/{name}", name).json()["servers"]:
            return
        time.sleep(0.05)


def _one(hub: harness.Hub) -> dict[str, float]:
    """One spawn of tess's server: seconds per phase, to the page and to kap-notes status."""
    offset = hub.log.stat().st_size
    wall, start = time.time(), time.perf_counter()
    page = hub.spawn("tess")
    page_wall = wall + page
    _status_after(hub, "tess")
    result = {"page": page, "status": time.perf_counter() - start}
    previous = wall
    for phase, when in _stamps(hub.log, offset).items():
        result[phase] = when - previous
        previous = when
    result["proxy route + JupyterLab page"] = page_wall - previous
    _stopped(hub, "tess")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"installed": [], "image": []}
    with (
        pg.shared_server() as server,
        made_roles(server) as roles,
        tempfile.TemporaryDirectory(prefix="kap-hub-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        make_clinic(roles.owner_url).close()
        pg_roles.setup_runtime_role(roles.owner_url, roles.runtime)
        url, pgpass = _pgpass(Path(tmp), roles.runtime_url)
        hubs = {}
        for variant in runs:
            hubs[variant] = hub = stack.enter_context(
                harness.running_hub(
                    Path(tmp) / variant,
                    vault_url=url,
                    pgpass=pgpass,
                    clinicians="tess",
                    admins="ada",
                    as_installed=variant == "installed",
                )
            )
            hub.login("tess")  # the login redirect starts a server: stop it first
            _stopped(hub, "tess")
        for _ in range(args.repeats):
            for variant, hub in hubs.items():
                runs[variant].append(_one(hub))
    print(table(_rows(runs, args.repeats)))
    print(f"load average while measured: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")


def _rows(runs: dict[str, list[dict[str, float]]], repeats: int) -> list[Row]:
    def med(variant: str, key: str) -> float:
        return statistics.median(run.get(key, float("nan")) for run in runs[variant])

    rows = []
    for variant, label in (("installed", "venv as installed"), ("image", "recommended image")):
        page = med(variant, "page")
        ok = page <= TARGET_S
        rows.append(Row(f"{label}: spawn -> JupyterLab page", f"{page:.2f} s", "<= 5 s", ok))
        rows.append(
            Row(f"{label}: spawn -> kap-notes status", f"{med(variant, 'status'):.2f} s", "-", None)
        )
        for phase, _ in [*PHASES, ("proxy route + JupyterLab page", "")]:
            rows.append(Row(f"  {phase}", f"{med(variant, phase):.2f} s", "-", None))
    ratio = med("installed", "page") / med("image", "page")
    rows.append(Row("installed / image (page)", f"{ratio:.2f}x", "-", None))
    rows.append(Row("runs per variant", str(repeats), "-", None))
    return rows


if __name__ == "__main__":
    main()
