"""Compiled notebooks keep one stored version; charts are reused by key and have fixed axes.

A real vault (SQLite), real encryption and signatures; the attacker edits ``vault.sqlite``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kap_notes.compile import charts, compile_patient, load_patient_data
from kap_notes.compile.cells import drawn_charts
from kap_notes.forms import ClinicSettings
from kap_notes.service import lifecycle
from kap_notes.vault.artefacts import prune_versions
from kap_notes.vault.errors import NotAuthorised
from kap_notes.vault.session import Session
from kap_notes.vault.sqlite import DB_NAME
from kap_notes.vault.verify import verify_vault
from tests.compile.conftest import Course12
from tests.conftest import PASSPHRASES


@contextlib.contextmanager
def _db(path: Path) -> Iterator[sqlite3.Connection]:
    """The vault's SQLite file, committed and closed on exit (Python 3.13 warns of unclosed
    connections, and ``with sqlite3.connect(...)`` only commits)."""
    db = sqlite3.connect(path / DB_NAME)
    try:
        with db:
            yield db
    finally:
        db.close()


def _versions(path: Path, record_id: str) -> list[int]:
    with _db(path) as db:
        rows = db.execute(
            "SELECT version FROM record_versions WHERE record_id = ? ORDER BY 1", (record_id,)
        )
        return [int(v) for (v,) in rows]


def _verify(recorded: Course12) -> list[str]:
    vault = recorded.clinic.vault
    return verify_vault(vault.store, vault.vault_id).problems


def _recompile_three_times(recorded: Course12) -> str:
    for alert in (170, 171, 172):
        result = compile_patient(
            recorded.tess, recorded.patient_id, settings=ClinicSettings(systolic_alert_mmhg=alert)
        )
        assert result.changed
    return result.record_id


def test_recompiles_keep_only_the_newest_notebook_and_verify_passes(recorded: Course12) -> None:
    path = recorded.clinic.path
    note_versions = {n: _versions(path, n) for n in recorded.note_ids}
    record_id = _recompile_three_times(recorded)
    # Only version 3 is stored; the log holds the three writes and a signed prune entry.
    assert _versions(path, record_id) == [3]
    actions = [r.action for r in recorded.tess.store.audit_rows() if r.record == record_id]
    assert actions == ["create", "update", "prune", "update", "prune"]
    assert _verify(recorded) == []
    # Notes keep every version.
    assert {n: _versions(path, n) for n in recorded.note_ids} == note_versions
    # The stored notebook still opens (newest version, verified against the log).
    assert recorded.tess.get_record(record_id).content["kind"] == "progress_notebook"


def test_verify_catches_a_forged_or_restored_notebook_version(recorded: Course12) -> None:
    first = compile_patient(recorded.tess, recorded.patient_id)
    with _db(recorded.clinic.path) as db:
        (old_blob,) = db.execute(
            "SELECT blob FROM record_versions WHERE record_id = ?", (first.record_id,)
        ).fetchone()
    record_id = _recompile_three_times(recorded)
    assert record_id == first.record_id
    with _db(recorded.clinic.path) as db:
        # A pruned version put back: its digest was forgotten by the signed prune.
        db.execute(
            "INSERT INTO record_versions (record_id, version, blob) VALUES (?, 1, ?)",
            (record_id, old_blob),
        )
    assert any("version 1" in p for p in _verify(recorded))
    with _db(recorded.clinic.path) as db:
        db.execute("DELETE FROM record_versions WHERE record_id = ? AND version = 1", (record_id,))
        db.execute(
            "UPDATE record_versions SET blob = ? WHERE record_id = ? AND version = 4",
            (old_blob, record_id),
        )
    problems = _verify(recorded)
    assert any("version 4: altered" in p for p in problems), problems


def test_a_signed_note_is_never_pruned(recorded: Course12) -> None:
    signed = next(n for n in recorded.note_ids if len(_versions(recorded.clinic.path, n)) > 1)
    versions = _versions(recorded.clinic.path, signed)
    with pytest.raises(NotAuthorised):
        prune_versions(recorded.tess, recorded.patient_id, signed, versions[-1])
    assert _versions(recorded.clinic.path, signed) == versions
    assert _verify(recorded) == []


def test_only_the_author_prunes(recorded: Course12) -> None:
    record_id = _recompile_three_times(recorded)
    compile_patient(recorded.sam, recorded.patient_id)  # sam's own notebook, a different record
    with pytest.raises(NotAuthorised):
        prune_versions(recorded.sam, recorded.patient_id, record_id, 3)


def _add_dosing(session: Session, patient_id: str) -> None:
    data = load_patient_data(session, patient_id)
    dosing = next(v for v in reversed(data.signed_views) if v.note.form == "dosing")
    saved = lifecycle.save_draft(session, patient_id, "dosing", dict(dosing.note.answers))
    lifecycle.sign_note(session, saved.ref.note_id, PASSPHRASES["tess"])


def test_a_sessions_chart_does_not_change_when_later_sessions_are_added(
    recorded: Course12,
) -> None:
    before = charts.vitals_charts(load_patient_data(recorded.tess, recorded.patient_id))
    _add_dosing(recorded.tess, recorded.patient_id)
    after = charts.vitals_charts(load_patient_data(recorded.tess, recorded.patient_id))
    assert len(after) == len(before) + 1
    assert after[: len(before)] == before  # drawn afresh, same bytes and keys


def test_reused_charts_give_the_same_notebook_as_drawing_them(recorded: Course12) -> None:
    first = compile_patient(recorded.tess, recorded.patient_id)
    drawn = drawn_charts(first.notebook_json)
    data = load_patient_data(recorded.tess, recorded.patient_id)
    assert set(drawn) == {charts.outcome_key(data)} | {c.key for c in charts.vitals_charts(data)}
    _add_dosing(recorded.tess, recorded.patient_id)
    reused = compile_patient(recorded.tess, recorded.patient_id)  # takes the stored charts
    fresh = load_patient_data(recorded.tess, recorded.patient_id)
    redrawn = charts.vitals_charts(fresh)
    assert [c.png for c in charts.vitals_charts(fresh, drawn)] == [c.png for c in redrawn]
    assert drawn_charts(reused.notebook_json) == {
        charts.outcome_key(fresh): charts.outcome_chart(fresh),
        **{c.key: c.png for c in redrawn},
    }


def test_charts_are_palette_pngs(recorded: Course12) -> None:
    notebook = json.loads(compile_patient(recorded.tess, recorded.patient_id).notebook_json)
    pngs = list(drawn_charts(json.dumps(notebook)).values())
    assert pngs
    # PNG colour type 3 (indexed) in the IHDR chunk: byte 25.
    assert all(png[:8] == b"\x89PNG\r\n\x1a\n" and png[25] == 3 for png in pngs)


_READING = st.integers(min_value=20, max_value=300)


@settings(max_examples=15, deadline=None)
@given(
    readings=st.lists(
        st.tuples(st.integers(-60, 400), _READING, _READING, _READING), min_size=1, max_size=6
    ),
    alert=st.integers(100, 260),
)
def test_no_reading_falls_outside_its_charts_axes(
    readings: list[tuple[int, int, int, int]], alert: int
) -> None:
    rows = [
        {"minutes": float(m), "systolic": s, "diastolic": d, "heart_rate": h}
        for m, s, d, h in readings
    ]
    low_x, high_x, low_y, high_y = charts._limits(rows, float(alert))
    assert all(low_x < r["minutes"] < high_x for r in rows)
    values = [v for r in rows for k, v in r.items() if k != "minutes"] + [alert]
    assert all(low_y < v < high_y for v in values)
    # Within the fixed clinic axes, every session gets the same axes.
    if all(
        charts.VITALS_MINUTES[0] + 5 <= r["minutes"] <= charts.VITALS_MINUTES[1] - 5 for r in rows
    ) and all(charts.VITALS_VALUES[0] + 10 <= v <= charts.VITALS_VALUES[1] - 10 for v in values):
        assert (low_x, high_x) == charts.VITALS_MINUTES
        assert (low_y, high_y) == charts.VITALS_VALUES


def test_patient_data_compares_without_drawn_charts(recorded: Course12) -> None:
    data = load_patient_data(recorded.tess, recorded.patient_id)
    assert dataclasses.replace(data, drawn={"k": b"x"}) == data
