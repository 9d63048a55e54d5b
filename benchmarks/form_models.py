"""What each form sends to the browser when a patient is picked (issue 14 item 2), before and after.

For every shipped form, a new note's FormView is built in-process with the real ipywidgets and
everything its comms would send is counted (tests/widgets/wire.py): widget models opened
(comm_open), later updates (comm_msg), payload bytes (JSON state), and the median build time.
"before" is the same measurement on the source tree of ``--before`` (default: the commit before
lazily built sections and shared layouts), run from a ``git archive`` copy in a subprocess;
"after" is this working tree. Times are medians of REPEATS builds (shared styles already made).

Run: .venv/bin/python benchmarks/form_models.py [--before REV]   (prints one table; no asserts)
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from _timing import Row, table

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "85822ac"
FORMS = ("dosing", "preparation", "intention", "integration", "process-note")
REPEATS = 15
#: "Far fewer widget models" (issue 14 item 2): the dosing form in at most half of them.
DOSING_RATIO_TARGET = 0.5

MEASURE = r"""
import json, statistics, sys, time, warnings
warnings.filterwarnings("ignore")
sys.path.insert(0, sys.argv[1])
from wire import counting
from kap_notes.forms import get_template
from kap_notes.widgets import FormView, SaveOutcome

class Controller:
    def save_draft(self, answers): return SaveOutcome(True, "saved")
    def sign(self, answers): return SaveOutcome(True, "signed")
    def addend(self, text): return SaveOutcome(True, "added")
    def locked(self): return False

def build(name):
    return FormView(get_template(name), context={"patient_weight_kg": 70},
                    controller=Controller(), autosave_seconds=None)

out = {}
for name in sys.argv[3:]:
    build(name)
    with counting() as wire:
        build(name)
    times = []
    for _ in range(int(sys.argv[2])):
        began = time.perf_counter()
        build(name)
        times.append((time.perf_counter() - began) * 1000)
    out[name] = {"models": wire.opened, "updates": wire.updates, "bytes": wire.payload,
                 "ms": statistics.median(times)}
print(json.dumps(out))
"""


def measure(src: Path) -> dict[str, dict[str, Any]]:
    """Figures per form for the kap_notes package under ``src`` (a fresh interpreter)."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(ROOT / "tests" / "widgets"), str(REPEATS), *FORMS],
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
    )
    if result.returncode != 0:
        raise SystemExit(f"measuring {src} failed:\n{result.stderr}")
    figures: dict[str, dict[str, Any]] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def baseline(rev: str, folder: Path) -> Path | None:
    """``src`` and ``templates`` of ``rev`` unpacked under ``folder`` (None if unknown)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "src", "templates"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        return None
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    version = ROOT / "src" / "kap_notes" / "_version.py"  # written at install, not in git
    if version.exists():
        shutil.copy(version, folder / "src" / "kap_notes" / "_version.py")
    return folder / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="revision measured as 'before'")
    args = parser.parse_args()
    after = measure(ROOT / "src")
    with tempfile.TemporaryDirectory() as tmp:
        old_src = baseline(args.before, Path(tmp))
        before = measure(old_src) if old_src is not None else {}
    rows: list[Row] = []
    for name in FORMS:
        now, then = after[name], before.get(name)
        for key, unit in (("models", ""), ("updates", ""), ("bytes", " B"), ("ms", " ms")):
            value = f"{now[key]:,.0f}{unit}"
            if then:
                ratio = now[key] / then[key] if then[key] else float("nan")
                value = f"{then[key]:,.0f} -> {value} ({ratio:.2f}x)"
            met = None
            target = ""
            if name == "dosing" and key == "models" and then:
                target = f"<= {DOSING_RATIO_TARGET:.1f}x before"
                met = now[key] <= DOSING_RATIO_TARGET * then[key]
            rows.append(Row(f"{name}: {key}", value, target, met))
    print(f"New note, in-process; before = {args.before if before else '(not available)'}")
    print(table(rows))


if __name__ == "__main__":
    main()
