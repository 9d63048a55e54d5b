"""Exports render in memory: a real filesystem check that no file appears while exporting."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from kap_notes.export import export_fhir_bundle, export_note_pdf, export_record_pdf
from tests.export.conftest import ADDENDUM, Recorded

_SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


def _files(root: Path) -> dict[Path, int]:
    """Every regular file under ``root`` with its modification time (ns)."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            try:
                found[path] = path.stat().st_mtime_ns
            except FileNotFoundError:  # another process's file vanished while we looked
                continue
    return found


def _touched_since(root: Path, start_ns: int) -> list[Path]:
    return [p for p, mtime in _files(root).items() if mtime >= start_ns]


@pytest.mark.parametrize("what", ["record", "note", "fhir"])
def test_export_writes_no_file(
    recorded: Recorded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    # Given: an empty working directory, an empty TMPDIR for child libraries, warm caches
    work, own_tmp = tmp_path / "cwd", tmp_path / "tmp"
    work.mkdir()
    own_tmp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("TMPDIR", str(own_tmp))
    export_record_pdf(recorded.tess, recorded.patient_id)  # warm-up (font caches etc.)
    vault_before = set(_files(recorded.path))
    start = time.time_ns()
    # When
    if what == "record":
        export_record_pdf(recorded.tess, recorded.patient_id, include_process=True)
    elif what == "note":
        export_note_pdf(recorded.tess, recorded.addended)
    else:
        export_fhir_bundle(recorded.tess, recorded.patient_id)
    # Then: nothing in the working directory or TMPDIR ...
    assert _files(work) == {}
    assert _files(own_tmp) == {}
    # ... no new file in the vault besides SQLite's own, and no plaintext there
    new = set(_files(recorded.path)) - vault_before
    assert all(p.name.endswith(_SQLITE_SIDECARS) for p in new), new
    markers = [recorded.course.profile["name"].encode(), ADDENDUM.encode()]
    for path in _files(recorded.path):
        content = path.read_bytes()
        assert not any(m in content for m in markers), path
    # ... and no file in the system temp directory written meanwhile holds the record
    for path in _touched_since(Path(tempfile.gettempdir()), start):
        if path.is_relative_to(recorded.path) or not path.is_file():
            continue
        try:
            content = path.read_bytes()
        except OSError:
            continue
        assert not any(m in content for m in markers), path
