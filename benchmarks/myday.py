"""My day at clinic scale: what the KAP panel's "My day" costs as the practice grows.

Run: .venv/bin/python benchmarks/myday.py [--patients 1000] [--repeats 5]
(prints a table; no asserts). Synthetic data only, in a throwaway SQLite vault made the way
``benchmarks/scale.py`` makes it (each patient a 30-note course; the weak test KDF, so no figure
includes key derivation).

Rows (medians): My day for therapist tess (half the patients) and supervisor sam (every patient,
plus the co-sign queue), the first call after a fresh unlock and warm calls after it; the patient
list beside them as the floor every panel read pays.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from rich.progress import Progress

from _timing import Row, elapsed_ms, median_ms, table
from kap_notes.records import myday
from kap_notes.vault.session import Session
from scale import generate, make_clinic, unlock

#: A panel read a clinician waits for; informational, the issue names no figure for My day.
TARGET_MS = 1000.0


def _my_day(session: Session) -> int:
    settings, _version = session.clinic_settings()
    day = myday.my_day(session, settings)
    return sum(len(section.items) for section in day.sections)


def measure(location: str, name: str, repeats: int) -> list[Row]:
    session = unlock(location, name)
    try:
        first = elapsed_ms(lambda: _my_day(session))
        warm = median_ms(lambda: _my_day(session), repeats)
        listing = median_ms(session.list_patients, repeats)
        items = _my_day(session)
    finally:
        session.vault.close()
    return [
        Row(
            f"{name}: My day, first after unlock",
            f"{first:.0f} ms",
            f"≤ {TARGET_MS:.0f} ms",
            first <= TARGET_MS,
        ),
        Row(
            f"{name}: My day, warm ({items} items)",
            f"{warm:.0f} ms",
            f"≤ {TARGET_MS:.0f} ms",
            warm <= TARGET_MS,
        ),
        Row(f"{name}: patient list, warm (floor)", f"{listing:.0f} ms", "-", None),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kap-myday-") as tmp:
        location = str(Path(tmp) / "vault")
        make_clinic(location).close()
        with Progress(transient=True) as progress:
            generate(location, args.patients, progress)
        rows = measure(location, "tess", args.repeats) + measure(location, "sam", args.repeats)
    print(f"My day, {args.patients} patients x 30 notes (SQLite, medians of {args.repeats})")
    print(table(rows))


if __name__ == "__main__":
    sys.exit(main())
