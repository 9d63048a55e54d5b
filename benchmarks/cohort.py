"""Cohort benchmark: the de-identified cohort and the outcomes notebook of 1,000 patients x 30
notes (issue 15: target 10 s on 2 cores, for both together).

Run: .venv/bin/python benchmarks/cohort.py [--patients N] [--repeats R] [--keep DIR]
(prints medians; no asserts). Synthetic data only, made the way benchmarks/scale.py makes it
(20 courses recorded through the service layer, the rest re-signed copies); ``--keep DIR``
keeps (or reuses) the vault there so later runs skip generating it.

Measured after a fresh ``Vault.open`` + ``unlock`` of supervisor sam, who reads every patient:
(a) ``build_cohort``: read + decrypt every note (audited), de-identify, suppress (k = 5);
(b) ``build_outcomes``: the notebook from that cohort (tables, Wilson, Kaplan-Meier, charts);
(c) both, as opening ``kap-vault/outcomes.ipynb`` does (``outcomes_notebook``): first the
    first call after unlock (every patient key unwrapped, every signature checked cold), then
    the median of later ones;
and where (a)'s time goes, stage by stage (one call each): reading and decrypting every
record (``Session.read_patients``), note views with their signatures checked
(``build_views``), de-identification, suppression and the frames.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from _timing import Row, table
from kap_notes.vault.session import Session
from scale import generate, make_clinic, unlock

TARGET_S = 10.0
T = TypeVar("T")


def _median_s(action: Callable[[], T], repeats: int) -> tuple[float, T]:
    """Median seconds of ``repeats`` calls, and the last call's result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def stages(session: Session) -> list[tuple[str, float]]:
    """Seconds of each stage of ``build_cohort`` (as :func:`gather_courses` runs them)."""
    from kap_notes.compile.cohort.deidentify import deidentify  # noqa: PLC0415
    from kap_notes.compile.cohort.frames import assemble, read_cohort  # noqa: PLC0415
    from kap_notes.model.patient import Patient  # noqa: PLC0415
    from kap_notes.records.chart import build_views  # noqa: PLC0415

    start = time.perf_counter()
    read = read_cohort(session)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    views = {pid: build_views(records, session.signing_key_of) for pid, records in read.items()}
    views_s = time.perf_counter() - start
    start = time.perf_counter()
    courses = []
    for pid, records in read.items():
        profile = next(r for r in records if r.record_id == pid)
        signed = [v for v in views[pid] if not v.is_process_note]
        courses.append(deidentify(Patient.from_record(profile.content), signed))
    deidentify_s = time.perf_counter() - start
    start = time.perf_counter()
    assemble([c for c in courses if c is not None], 5)
    assemble_s = time.perf_counter() - start
    return [
        ("read + decrypt (read_cohort)", read_s),
        ("note views, signatures checked (build_views)", views_s),
        ("de-identify", deidentify_s),
        ("suppress + frames (assemble)", assemble_s),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", metavar="DIR", help="keep (or reuse) the vault in DIR")
    args = parser.parse_args()
    from kap_notes.compile.cells import validated_json  # noqa: PLC0415
    from kap_notes.compile.cohort import build_cohort, outcomes_notebook  # noqa: PLC0415
    from kap_notes.compile.cohort.notebook import build_outcomes  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="kap-cohort-bench-") as scratch:
        location = str(Path(args.keep or scratch) / f"vault-{args.patients}")
        if not Path(location).exists():
            make_clinic(location).close()
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn())  # fmt: skip
            with Progress(*columns, transient=True) as progress:
                generate(location, args.patients, progress)
        load_before = os.getloadavg()[0]
        sam = unlock(location, "sam")
        # the first open after unlock: patient keys unwrapped, every signature checked cold
        first_s, _ = _median_s(lambda: outcomes_notebook(sam), 1)
        cohort_s, cohort = _median_s(lambda: build_cohort(sam), args.repeats)
        notebook_s, _ = _median_s(lambda: validated_json(build_outcomes(cohort)), args.repeats)
        both_s, text = _median_s(lambda: outcomes_notebook(sam), args.repeats)
        parts = stages(sam)
        patients = len(cohort.frames["patients"])
        sessions = len(cohort.frames["sessions"])
        sam.vault.close()
    print(f"{args.patients} patients read, {patients} in the cohort, {sessions} signed sessions; "
          f"notebook {len(str(text)) // 1024} KiB; median of {args.repeats}; load (1-min) "
          f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after, "
          f"{os.cpu_count()} cores")  # fmt: skip
    rows = [
        Row(
            "(c) cohort + notebook, the first after unlock",
            f"{first_s:.2f} s",
            f"<= {TARGET_S:g} s",
            first_s <= TARGET_S,
        ),
        Row("(a) build_cohort", f"{cohort_s:.2f} s", "-", None),
        Row("(b) outcomes notebook from the cohort", f"{notebook_s:.2f} s", "-", None),
        Row(
            "(c) cohort + notebook (open outcomes.ipynb)",
            f"{both_s:.2f} s",
            f"<= {TARGET_S:g} s",
            both_s <= TARGET_S,
        ),
        Row("share of (c) in the notebook (b)", f"{notebook_s / both_s:.0%}", "-", None),
    ]
    total = sum(seconds for _, seconds in parts)
    rows += [Row(f"  (a) stage: {name}", f"{seconds:.2f} s ({seconds / total:.0%})", "-", None)
             for name, seconds in parts]  # fmt: skip
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
