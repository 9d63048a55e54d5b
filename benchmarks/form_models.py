"""What each form sends to the browser when a patient is picked (issue 14 item 2), before and after.

For every shipped form, a new note's FormView is built in-process with the real ipywidgets and
everything its comms would send is counted (tests/widgets/wire.py): widget models opened
(comm_open), later updates (comm_msg), payload bytes (JSON state), and the median build time.
"before" is the same measurement on the source tree of ``--before`` (default: the commit before
lazily built sections and shared layouts), run from a ``git archive`` copy in a subprocess;
"after" is this working tree. Times are medians of REPEATS builds (shared styles already made).

With ``--browser``, also the dosing form in a real ``jupyter lab`` (Debian's headless chromium):
patient picked -> form usable (the Dose field and the Sign button at its end enabled), median of
BROWSER_RUNS, alternating between two servers: "before" runs its form kernels on the
``--before`` tree (a kernel spec with its PYTHONPATH; the server on this one). The issue
measured 0.43 s with 418 models.

Run: .venv/bin/python benchmarks/form_models.py [--before REV] [--browser]   (no asserts)
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ui-tests"))

from labharness import LabServer, RunDirs
from labui import (
    click_tile,
    current_tab,
    first_page,
    form_in,
    launch_chromium,
    open_lab,
    pick_patient,
)
from playwright.sync_api import expect, sync_playwright

from _timing import Row, table
from kap_notes.service.demo import create_demo
from kap_notes.vault.crypto import FAST_KDF

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "85822ac"
FORMS = ("dosing", "preparation", "intention", "integration", "process-note")
REPEATS = 15
#: "Far fewer widget models" (issue 14 item 2): the dosing form in at most half of them.
DOSING_RATIO_TARGET = 0.5
BROWSER_RUNS = 5
#: The dosing form is usable: its Dose field and the Sign button at its end are enabled.
USABLE = """() => {
  const view = document.querySelector('.kap-FormPanel-view');
  if (!view) return false;
  const sign = [...view.querySelectorAll('button')].find(b => b.textContent.trim() === 'Sign');
  const dose = [...view.querySelectorAll('.kap-field')].find(
    row => /^\\s*Dose \\(mg\\)/.test(row.querySelector('.kap-label')?.textContent ?? ''));
  const input = dose?.querySelector('input');
  return !!sign && !sign.disabled && !!input && !input.disabled;
}"""

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
    # compiled once, like this tree: its kernels must not compile every module at each start
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder / "src")], check=True)
    return folder / "src"


def kernel_source(dirs: RunDirs, src: Path) -> None:
    """Form kernels of this run import kap_notes from ``src`` (the server keeps this tree's)."""
    shipped = Path(sys.prefix) / "share" / "jupyter" / "kernels" / "kap-notes" / "kernel.json"
    spec = json.loads(shipped.read_text("utf-8")) | {"env": {"PYTHONPATH": str(src)}}
    target = dirs.data / "kernels" / "kap-notes"
    target.mkdir(parents=True, exist_ok=True)
    (target / "kernel.json").write_text(json.dumps(spec), "utf-8")


def open_page(pw: Any, lab: LabServer) -> Any:
    """A headless chromium page on ``lab``, JupyterLab loaded."""
    page = first_page(launch_chromium(pw, lab.dirs))
    open_lab(page, lab.lab_url())
    return page


def pick_once(page: Any, label: str) -> float:
    """Dosing tile, then seconds from picking ``label`` to a usable form; the tab is closed."""
    form = form_in(page, click_tile(page, "Dosing"))
    expect(form.root.locator("select").first).to_be_enabled(timeout=60_000)
    began = time.perf_counter()
    pick_patient(page, form, label)
    # checked every animation frame (expect() polls at 100/250/500/1000 ms: too coarse here)
    page.wait_for_function(USABLE, polling="raf", timeout=60_000)
    took = time.perf_counter() - began
    expect(form.row("Dose").locator("input")).to_be_enabled()
    current_tab(page).locator(".lm-TabBar-tabCloseIcon").click()
    expect(page.locator(".kap-FormPanel:visible")).to_have_count(0, timeout=30_000)
    page.wait_for_timeout(3000)  # the next spare kernel starts
    return took


def settle(labs: dict[str, LabServer], timeout: float = 60) -> None:
    """Wait until no kernel of any server is busy (a spare starting competes for the CPU)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = [
            k["execution_state"]
            for lab in labs.values()
            for k in lab.http.get("/api/kernels").json()
        ]
        if all(state == "idle" for state in states):
            return
        time.sleep(0.25)


def browser_pick_to_form(runs: int, kernels: dict[str, Path | None]) -> dict[str, list[float]]:
    """Seconds from picking a patient to a usable dosing form, in one real JupyterLab per entry
    of ``kernels`` (its form kernels on that source tree, None: this one), runs alternating."""
    labs: dict[str, LabServer] = {}
    seconds: dict[str, list[float]] = {name: [] for name in kernels}
    try:
        for name, src in kernels.items():
            lab = labs[name] = LabServer(RunDirs.create(prefix="kap-bench-"))
            if src is not None:
                kernel_source(lab.dirs, src)
            create_demo(lab.dirs.vault, kdf=FAST_KDF, kdf_floor=FAST_KDF)
            lab.start()
            lab.unlock("tess")
        with sync_playwright() as pw:
            pages = {name: open_page(pw, lab) for name, lab in labs.items()}
            labels = {}
            for name, lab in labs.items():
                patient = lab.op("list_patients")[0]
                labels[name] = f"{patient['chart_code']} · {patient['name']}"
            for run in range(runs + 1):  # the first one warms the widget libraries up
                for name, page in pages.items():
                    settle(labs)
                    took = pick_once(page, labels[name])
                    if run:
                        seconds[name].append(took)
    finally:
        for lab in labs.values():
            lab.close()
            shutil.rmtree(lab.dirs.base, ignore_errors=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="revision measured as 'before'")
    parser.add_argument("--browser", action="store_true", help="also pick -> form in chromium")
    args = parser.parse_args()
    after = measure(ROOT / "src")
    picked: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        old_src = baseline(args.before, Path(tmp))
        before = measure(old_src) if old_src is not None else {}
        if args.browser:
            kernels = {"after": None} | ({"before": old_src} if old_src is not None else {})
            timed = browser_pick_to_form(BROWSER_RUNS, kernels)
            picked = {name: statistics.median(values) for name, values in timed.items()}
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
    if picked:
        value = f"{picked['after']:.2f} s"
        if "before" in picked:
            ratio = picked["after"] / picked["before"]
            value = f"{picked['before']:.2f} -> {value} ({ratio:.2f}x)"
        rows.append(Row("dosing in chromium: patient picked -> usable", value, "", None))
    print(f"New note, in-process; before = {args.before if before else '(not available)'}")
    print(table(rows))


if __name__ == "__main__":
    main()
