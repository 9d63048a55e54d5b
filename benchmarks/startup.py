"""Start-up cost of the command line and the server extension, beside a bare interpreter.

Run: .venv/bin/python benchmarks/startup.py [--repeats 10]
(prints a table; no asserts). Each row is the median wall time of a whole process, started
``--repeats`` times in turn with its yardstick (A B A B ...), so that both see the same machine;
the ratio (and for the server rows the difference, of wall and of CPU time: the CPU figure is
the steadier on a loaded machine) is taken run by run and its median printed.
Yardsticks: a bare ``python -c pass`` for the command line; ``import jupyter_server.serverapp``
for the server extension, which loads inside a server that has already imported it, so its cost
is what it adds: importing ``kap_notes.server.app`` (what ``_load_jupyter_server_extension``
imports), and ``ServerApp.initialize`` with kap-notes enabled beside the same without it (links,
contents manager, key holder, handlers; other installed extensions load in both). ``patient
list`` runs on a throwaway demo vault (synthetic patients) with the fast test KDF, so no figure
includes key derivation. Targets (issue 14 item 1, issue 13 item 7): ``--version`` ≤ 10× bare
Python, ``--help`` and ``patient list`` ≤ 0.3 s, the server extension adds ≤ 0.2 s. Informational
rows: what a form kernel imports (``kap_notes.widgets``), checking one request (fastjsonschema)
beside importing jsonschema (which only explains a refused request).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from _timing import Row, table

PYTHON = sys.executable
KAP_NOTES = str(Path(PYTHON).with_name("kap-notes"))


def run_s(argv: Sequence[str], env: dict[str, str]) -> float:
    """Seconds one process takes from start to exit; fails loudly if it fails."""
    return run_wall_cpu(argv, env)[0]


def run_wall_cpu(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one process; CPU time varies less than
    wall time on a loaded machine, where a process waits for a core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


BARE = [PYTHON, "-c", "pass"]
SERVER = [PYTHON, "-c", "import jupyter_server.serverapp"]
#: ServerApp.initialize without starting the loop; ``{ext}`` enables kap-notes or not.
INITIALIZE = (
    "import os, sys\n"
    "from jupyter_server.serverapp import ServerApp\n"
    "app = ServerApp(jpserver_extensions={{'kap_notes.server': {ext}}},"
    " root_dir=os.environ['JUPYTER_RUNTIME_DIR'])\n"
    "app.initialize(argv=['--port=0', '--ServerApp.open_browser=False'])\n"
    "assert ('kap_notes.server.app' in sys.modules) is {ext}\n"
)


def paired(
    argv: Sequence[str], env: dict[str, str], repeats: int, base: Sequence[str] = BARE
) -> tuple[float, float, float]:
    """Median seconds of ``argv``, median ratio to ``base`` and median ``argv - base``, the two
    run in turn."""
    run_s(argv, env)  # warm-up: page cache, .pyc files
    run_s(base, env)
    times, ratios, deltas = [], [], []
    for _ in range(repeats):
        t = run_s(argv, env)
        b = run_s(base, env)
        times.append(t)
        ratios.append(t / b)
        deltas.append(t - b)
    return statistics.median(times), statistics.median(ratios), statistics.median(deltas)


def server_rows(env: dict[str, str], repeats: int) -> list[Row]:
    """What the server extension adds to a server, against jupyter_server without it."""
    rows = []
    server_s = statistics.median(run_s(SERVER, env) for _ in range(repeats))
    rows.append(
        Row("python -c 'import jupyter_server.serverapp'", _ms(server_s), "yardstick", None)
    )
    cases = [
        (
            "+ import kap_notes.server.app",
            [*SERVER[:2], f"{SERVER[2]}; import kap_notes.server.app"],
            SERVER,
        ),
        (
            "ServerApp.initialize + kap-notes",
            [PYTHON, "-c", INITIALIZE.format(ext=True)],
            [PYTHON, "-c", INITIALIZE.format(ext=False)],
        ),
    ]
    for name, argv, base in cases:
        seconds, _, added = paired(argv, env, repeats, base)
        added_cpu = paired_cpu(argv, env, repeats, base)
        label = f"{name} ({_ms(seconds)} in all)"
        rows.append(Row(f"{label}, wall", f"+{_ms(added)}", "≤ +200 ms", added <= 0.2))
        rows.append(Row(f"{label}, CPU", f"+{_ms(added_cpu)}", "≤ +200 ms", added_cpu <= 0.2))
    return rows


def paired_cpu(
    argv: Sequence[str], env: dict[str, str], repeats: int, base: Sequence[str]
) -> float:
    """Median CPU seconds ``argv`` takes beyond ``base``, the two run in turn."""
    deltas = []
    for _ in range(repeats):
        deltas.append(run_wall_cpu(argv, env)[1] - run_wall_cpu(base, env)[1])
    return statistics.median(deltas)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def make_demo(root: Path, env: dict[str, str]) -> Path:
    """A demo clinic (synthetic patients, fast KDF) in ``root``; returns its vault folder."""
    subprocess.run([KAP_NOTES, "demo", str(root)], env=env, capture_output=True, check=True)
    return root / "vault"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAP_NOTES_")}
    root = Path(tempfile.mkdtemp(prefix="kap-startup-"))
    try:
        vault = make_demo(root / "demo", env)
        list_env = {
            **env,
            "KAP_NOTES_VAULT": str(vault),
            "KAP_NOTES_FAST_KDF": "1",
            "KAP_NOTES_USER": "tess",
            "KAP_NOTES_PASSPHRASE": "tess-demo-passphrase",
        }
        bare_s = statistics.median(run_s(BARE, env) for _ in range(args.repeats))
        cases: list[tuple[str, list[str], dict[str, str], float | None, float | None]] = [
            ("kap-notes --version", [KAP_NOTES, "--version"], env, None, 10.0),
            ("kap-notes --help", [KAP_NOTES, "--help"], env, 0.3, None),
            (
                "kap-notes patient list --help",
                [KAP_NOTES, "patient", "list", "--help"],
                env,
                0.3,
                None,
            ),
            (
                "kap-notes patient list (demo vault)",
                [KAP_NOTES, "patient", "list"],
                list_env,
                0.3,
                None,
            ),
            (
                "python -c 'import kap_notes.server'",
                [PYTHON, "-c", "import kap_notes.server"],
                env,
                0.2,
                None,
            ),
        ]
        check = (
            "from kap_notes.service.requests import check_operation; check_operation("
            "'save_draft', {'patient_id': 'p', 'form': 'dosing', 'answers': {'weight': 70}})"
        )
        for name, code in (
            ("kernel: import kap_notes.widgets", "import kap_notes.widgets"),
            ("check one request (fastjsonschema)", check),
            ("import jsonschema (refusals only)", "import jsonschema"),
        ):
            cases.append((name, [PYTHON, "-c", code], env, None, None))
        rows = [Row("python -c pass", f"{bare_s * 1000:.0f} ms", "yardstick", None)]
        for name, argv, case_env, limit_s, limit_ratio in cases:
            seconds, ratio, _ = paired(argv, case_env, args.repeats)
            if limit_ratio is not None:
                target, met = f"≤ {limit_ratio:g}× bare", ratio <= limit_ratio
            elif limit_s is not None:
                target, met = f"≤ {limit_s * 1000:.0f} ms", seconds <= limit_s
            else:
                target, met = "", None
            rows.append(Row(f"{name} ({ratio:.1f}× bare)", f"{seconds * 1000:.0f} ms", target, met))
        runtime = root / "runtime"  # the server's runtime files, agent socket and root dir
        runtime.mkdir()
        server_env = {
            **env,
            "JUPYTER_RUNTIME_DIR": str(runtime),
            "KAP_NOTES_VAULT": str(vault),
            "KAP_NOTES_FAST_KDF": "1",
        }
        rows += server_rows(server_env, args.repeats)
        print(f"start-up, medians of {args.repeats} runs each, paired with their yardstick;")
        print(f"load: {os.getloadavg()[0]:.2f} (1-min average, {os.cpu_count()} cores)")
        print(table(rows))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
