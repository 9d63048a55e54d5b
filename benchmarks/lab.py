"""JupyterLab benchmark against a real ``jupyter lab`` on 127.0.0.1 (the ui-tests harness).

1. REST note save: median ``POST /kap-notes/api/ops/save_draft`` after unlock (target <= 30 ms),
   side by side with ``GET /api/status`` (jupyter_server's cheapest authenticated call).
2. Server start to a rendered dosing form in Debian's headless chromium: process start, server
   ready, vault unlocked, lab page loaded, Dosing tile clicked, form widget rendered (median).

Run: .venv/bin/python benchmarks/lab.py   (prints figures from one run; no asserts)
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ui-tests"))

from labharness import LabServer, RunDirs
from labui import click_tile, first_page, form_in, launch_chromium, open_lab
from playwright.sync_api import sync_playwright

from _timing import Row, table
from kap_notes.service.demo import create_demo
from kap_notes.vault.crypto import FAST_KDF

SAVES = 60
STARTS = 3
SAVE_TARGET_MS = 30.0


def draft_answers(n: int) -> dict[str, Any]:
    return {
        "session_datetime": "2026-03-02 10:00",
        "route": "im",
        "dose_mg": 50 + n % 7,
        "start_time": "2026-03-02 10:05",
        "end_time": "2026-03-02 11:35",
        "vitals": [
            {"timepoint": "Before dosing", "systolic": 120, "diastolic": 80, "heart_rate": 70},
            {"timepoint": "30 min", "systolic": 131, "diastolic": 84, "heart_rate": 77},
        ],
        "experience": f"Synthetic benchmark narrative {n}.",
    }


def rest_save(lab: LabServer) -> tuple[list[float], list[float]]:
    """Interleaved timings (ms) of save_draft (updating one note) and GET /api/status."""
    lab.unlock("tess")
    patient = lab.op("list_patients")[0]["patient_id"]
    saved = lab.op("save_draft", patient_id=patient, form="dosing", answers=draft_answers(0))
    saves: list[float] = []
    statuses: list[float] = []
    for n in range(1, SAVES + 1):
        start = time.perf_counter()
        response = lab.http.get("/api/status")
        statuses.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
        start = time.perf_counter()
        saved = lab.op(
            "save_draft",
            patient_id=patient,
            form="dosing",
            answers=draft_answers(n),
            note_id=saved["note_id"],
            version=saved["version"],
        )
        saves.append((time.perf_counter() - start) * 1000)
    return saves[5:], statuses[5:]  # the first few warm caches and connections


def start_to_form(lab: LabServer) -> dict[str, float]:
    """Seconds from process start to each milestone, in a fresh browser profile."""
    lab.stop()
    shutil.rmtree(lab.dirs.browser_profile, ignore_errors=True)
    shutil.rmtree(lab.dirs.config / "lab" / "workspaces", ignore_errors=True)  # a fresh launcher
    marks: dict[str, float] = {}
    began = time.perf_counter()
    lab.start()
    marks["server ready"] = time.perf_counter() - began
    lab.unlock("tess")
    with sync_playwright() as pw:
        context = launch_chromium(pw, lab.dirs)
        page = first_page(context)
        open_lab(page, lab.lab_url())
        marks["lab page loaded"] = time.perf_counter() - began
        form_in(page, click_tile(page, "Dosing"))
        marks["dosing form rendered"] = time.perf_counter() - began
        context.close()
    return marks


def main() -> None:
    dirs = RunDirs.create(prefix="kap-bench-")
    lab = LabServer(dirs)
    try:
        print("creating the demo clinic (fast test KDF) ...", flush=True)
        create_demo(dirs.vault, kdf=FAST_KDF, kdf_floor=FAST_KDF)
        lab.start()
        saves, statuses = rest_save(lab)
        runs = [start_to_form(lab) for _ in range(STARTS)]
    finally:
        lab.close()
        shutil.rmtree(dirs.base, ignore_errors=True)

    save_ms, status_ms = statistics.median(saves), statistics.median(statuses)
    rows = [
        Row(
            f"POST ops/save_draft, dosing note ({len(saves)} saves)",
            f"{save_ms:.1f} ms",
            f"<= {SAVE_TARGET_MS:g} ms",
            save_ms <= SAVE_TARGET_MS,
        ),
        Row("GET /api/status (baseline, same client)", f"{status_ms:.1f} ms", "", None),
        Row("save_draft / status ratio", f"{save_ms / status_ms:.1f}x", "", None),
    ]
    for milestone in runs[0]:
        values = [run[milestone] for run in runs]
        rows.append(
            Row(
                f"start -> {milestone} (median of {len(runs)})",
                f"{statistics.median(values):.2f} s",
                "report",
                None,
            )
        )
    print(table(rows))
    print(
        "per run (s): "
        + "; ".join(", ".join(f"{k} {v:.2f}" for k, v in run.items()) for run in runs)
    )


if __name__ == "__main__":
    main()
