"""Clinic-scale benchmark: 1,000 patients x 30 notes, SQLite and PostgreSQL side by side.

Run: .venv/bin/python benchmarks/scale.py [--patients N] [--postgres URL]
(prints a table with targets; no asserts). Synthetic data only, in throwaway vaults.

PostgreSQL: ``--postgres`` (or ``KAP_NOTES_BENCH_POSTGRES``) names a maintenance database of a
server where the user may CREATE DATABASE; without it a throwaway cluster is started on 127.0.0.1
(the test suite's harness) with PostgreSQL's default settings.

Data: therapists tess and theo each record 10 synthetic courses through the real service layer
(``lifecycle.save_draft`` + ``sign_note``, 30 notes each: preparation, intention, 14 dosing and
14 integration sessions). Every other patient is a copy of one of those courses written with
``Session.put_record``: fresh record ids (links remapped) and a fresh author signature for each
signed note, so every stored note is a valid, signed, encrypted note. The weak test KDF is used
to create the data only; nothing here measures key derivation.

Measured after a fresh ``Vault.open`` + ``unlock`` (the unlock integrity check of every record
against the audit chain is reported on its own):
(a) list patients — supervisor sam sees all 1,000: the first listing after unlock (patient keys
    unwrapped then) and the warm median of 5;
(b) open one patient — its 30 notes decrypted (``read_patient``), first and warm median of 20;
(c) compile every progress notebook (``compile_patient``) in 2 worker processes, each unlocking
    the vault itself, with a progress bar.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from _timing import elapsed_ms
from kap_notes.model.people import Role
from kap_notes.service.demo import record_course
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault import access, backends
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.ids import new_id
from kap_notes.vault.session import Session, StoredRecord
from kap_notes.vault.signing import sign_content
from kap_notes.vault.vault import Vault

ROOT = Path(__file__).resolve().parents[1]
PASSPHRASES = {n: f"{n} scale benchmark passphrase" for n in ("ada", "tess", "theo", "sam")}
THERAPISTS = ("tess", "theo")
PROTOTYPES = 10  # courses per therapist recorded through the service layer
BOOSTERS = 8  # 6 + 8 dosing sessions, each with an integration note: 2 + 28 = 30 notes
TARGET_LIST_MS, TARGET_OPEN_MS, TARGET_COMPILE_S = 300.0, 50.0, 180.0


@dataclass
class Result:
    backend: str
    generate_s: float = 0.0
    unlock_ms: float = 0.0
    list_first_ms: float = 0.0
    list_warm_ms: float = 0.0
    open_first_ms: float = 0.0
    open_warm_ms: float = 0.0
    compile_s: float | None = None
    compile_note: str = ""
    counts: dict[str, int] = field(default_factory=dict)


# ------------------------------------------------------------------------------ the data
def make_clinic(location: str) -> Vault:
    created = Vault.init(
        location,
        admin_name="ada",
        admin_passphrase=PASSPHRASES["ada"],
        kdf=FAST_KDF,
        kdf_floor=FAST_KDF,
    )
    for name in THERAPISTS:
        access.add_user(created.admin, name, Role.THERAPIST, PASSPHRASES[name])
    access.add_user(created.admin, "sam", Role.SUPERVISOR, PASSPHRASES["sam"])
    for name in THERAPISTS:
        access.assign_supervisor(created.admin, "sam", name)
        access.accept_supervisor(created.vault.unlock(name, PASSPHRASES[name]), "sam")
    return created.vault


def unlock(location: str, name: str) -> Session:
    return Vault.open(location, kdf_floor=FAST_KDF).unlock(name, PASSPHRASES[name])


def _course(seed: int) -> Any:
    return synthetic_course(
        seed, start=dt.date(2025, 1, 6) + dt.timedelta(days=seed % 300), boosters=BOOSTERS
    )


def _clone(session: Session, template: list[StoredRecord], profile_id: str, n: int) -> None:
    """Write a copy of one recorded course as patient ``n``: new ids, fresh signatures."""
    profile = next(r for r in template if r.record_id == profile_id).content
    patient = session.create_patient(
        {**profile, "name": f"Synthetic Patient {n:04d}", "chart_code": f"KAP-S{n:05d}"}
    )
    notes = sorted(
        (r for r in template if r.record_id != profile_id),
        key=lambda r: str(r.content.get("created_at")),
    )
    ids = {r.record_id: new_id("rec") for r in notes} | {profile_id: patient}
    for record in notes:
        text = json.dumps(record.content)
        for old, new in ids.items():
            text = text.replace(old, new)
        content = json.loads(text)
        record_id = ids[record.record_id]
        signed = content.get("signature") is not None
        if signed:
            content = sign_content(session, content, record_id, 1, meaning="author")
        # a signed version must be written by a signing entry (the vault refuses it otherwise)
        session.put_record(patient, content, record_id=record_id, action="sign" if signed else None)


def generate(location: str, patients: int, progress: Progress) -> None:
    task = progress.add_task("  generate", total=patients)
    sessions = {name: unlock(location, name) for name in THERAPISTS}
    templates: dict[str, list[tuple[str, list[StoredRecord]]]] = {t: [] for t in THERAPISTS}
    for n in range(patients):
        therapist = THERAPISTS[n % 2]
        session = sessions[therapist]
        protos = templates[therapist]
        if len(protos) < PROTOTYPES:
            patient, _ = record_course(session, _course(n), passphrase=PASSPHRASES[therapist])
            protos.append((patient, session.read_patient(patient)))
        else:
            profile_id, records = protos[n % PROTOTYPES]
            _clone(session, records, profile_id, n)
        progress.advance(task)
    for session in sessions.values():
        session.vault.close()


# --------------------------------------------------------------------- compile workers
_worker: Session | None = None


def _init_worker(location: str) -> None:
    global _worker  # noqa: PLW0603 - one unlocked session per worker process
    _worker = unlock(location, "sam")


def _compile(patient_id: str) -> bool:
    from kap_notes.compile.compiled import compile_patient  # noqa: PLC0415

    assert _worker is not None
    return compile_patient(_worker, patient_id).changed


def compile_available() -> str | None:
    """None if ``compile_patient`` can be imported, else why not."""
    try:
        from kap_notes.compile.compiled import compile_patient  # noqa: F401, PLC0415
    except ImportError as exc:
        return f"not available ({exc})"
    return None


def compile_all(location: str, patient_ids: list[str], progress: Progress) -> float:
    task = progress.add_task("  compile", total=len(patient_ids))
    start = time.perf_counter()
    with ProcessPoolExecutor(
        max_workers=2,
        mp_context=get_context("spawn"),
        initializer=_init_worker,
        initargs=(location,),
    ) as pool:
        futures = [pool.submit(_compile, pid) for pid in patient_ids]
        for future in as_completed(futures):
            if not future.result():
                raise RuntimeError("a progress notebook was not compiled")
            progress.advance(task)
    return time.perf_counter() - start


# ---------------------------------------------------------------------- measurements
def measure(backend: str, location: str, patients: int) -> Result:
    result = Result(backend)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=False,
    )
    print(f"{backend}: {backends.describe(location)}")
    make_clinic(location).close()
    with progress:
        start = time.perf_counter()
        generate(location, patients, progress)
        result.generate_s = time.perf_counter() - start

        vault = Vault.open(location, kdf_floor=FAST_KDF)
        sam: list[Session] = []
        result.unlock_ms = elapsed_ms(lambda: sam.append(vault.unlock("sam", PASSPHRASES["sam"])))
        listed: list[Any] = []
        result.list_first_ms = elapsed_ms(lambda: listed.append(sam[0].list_patients()))
        result.list_warm_ms = _median(sam[0].list_patients, 5)
        result.counts["patients"] = len(listed[0])
        tess = vault.unlock("tess", PASSPHRASES["tess"])
        one = tess.store.patients_with_wrap_for(tess.user_id)[len(listed[0]) // 4]
        notes: list[Any] = []
        result.open_first_ms = elapsed_ms(lambda: notes.append(tess.read_patient(one)))
        result.open_warm_ms = _median(lambda: tess.read_patient(one), 20)
        result.counts["notes of one patient"] = len(notes[0]) - 1  # without the profile
        result.counts["records"] = sum(1 for _ in vault.store.latest_records())
        patient_ids = [p.patient_id for p in vault.store.list_patients()]
        vault.close()

        missing = compile_available()
        if missing is None:
            result.compile_s = compile_all(location, patient_ids, progress)
        else:
            result.compile_note = missing
    return result


def _median(action: Callable[[], object], repeats: int) -> float:
    return statistics.median(elapsed_ms(action) for _ in range(repeats))


# ----------------------------------------------------------------------------- report
def _verdict(value: float | None, target: float) -> str:
    return "-" if value is None else ("PASS" if value <= target else "MISS")


def report(results: list[Result], patients: int) -> str:
    def ms(v: float) -> str:
        return f"{v:,.0f} ms" if v >= 10 else f"{v:.1f} ms"

    rows: list[tuple[str, list[str], str, list[str]]] = [
        (
            f"generate {patients:,} x 30 notes (not a target)",
            [f"{r.generate_s:,.0f} s" for r in results],
            "-",
            ["-" for _ in results],
        ),
        ("unlock (integrity check of all records)", [ms(r.unlock_ms) for r in results], "-", []),
        (
            f"list {patients:,} patients, first after unlock",
            [ms(r.list_first_ms) for r in results],
            f"<= {TARGET_LIST_MS:.0f} ms",
            [_verdict(r.list_first_ms, TARGET_LIST_MS) for r in results],
        ),
        (
            f"list {patients:,} patients, warm (median of 5)",
            [ms(r.list_warm_ms) for r in results],
            f"<= {TARGET_LIST_MS:.0f} ms",
            [_verdict(r.list_warm_ms, TARGET_LIST_MS) for r in results],
        ),
        (
            "open one patient (30 notes), first",
            [ms(r.open_first_ms) for r in results],
            f"<= {TARGET_OPEN_MS:.0f} ms",
            [_verdict(r.open_first_ms, TARGET_OPEN_MS) for r in results],
        ),
        (
            "open one patient (30 notes), warm (median of 20)",
            [ms(r.open_warm_ms) for r in results],
            f"<= {TARGET_OPEN_MS:.0f} ms",
            [_verdict(r.open_warm_ms, TARGET_OPEN_MS) for r in results],
        ),
        (
            f"compile all {patients:,} progress notebooks (2 processes)",
            [
                f"{r.compile_s:,.0f} s" if r.compile_s is not None else r.compile_note
                for r in results
            ],
            f"<= {TARGET_COMPILE_S:.0f} s",
            [_verdict(r.compile_s, TARGET_COMPILE_S) for r in results],
        ),
    ]
    header = ["measurement", *[r.backend for r in results], "target", "result"]
    lines = [
        [name, *values, target, " / ".join(verdicts) if verdicts else "-"]
        for name, values, target, verdicts in rows
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    out = ["  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True))]
    out.append("-" * len(out[0]))
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in lines]
    counts = "; ".join(f"{r.backend}: " + json.dumps(r.counts) for r in results)
    return "\n".join(out) + f"\ncounts: {counts}\nresult column: SQLite / PostgreSQL"


# ------------------------------------------------------------------------------- main
@contextmanager
def postgres_database(url: str | None) -> Iterator[str]:
    sys.path.insert(0, str(ROOT))
    from tests.postgres.harness import Server, shared_server  # noqa: PLC0415

    if url:
        server = Server(url)
        db = server.create_database()
        try:
            yield db
        finally:
            server.drop_database(db)
        return
    with shared_server() as server:
        db = server.create_database()
        try:
            yield db
        finally:
            server.drop_database(db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--postgres", default=os.environ.get("KAP_NOTES_BENCH_POSTGRES"))
    args = parser.parse_args()
    results = []
    tmp = Path(tempfile.mkdtemp(prefix="kap-scale-"))
    try:
        results.append(measure("SQLite", str(tmp / "vault"), args.patients))
        with postgres_database(args.postgres) as url:
            results.append(measure("PostgreSQL", url, args.patients))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(f"kap-notes clinic scale: {args.patients:,} patients x 30 notes, {os.cpu_count()} cores")
    print(report(results, args.patients))


if __name__ == "__main__":
    main()
