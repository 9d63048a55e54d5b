"""The form's coalesced autosave on PostgreSQL: the buffer's commit runs with
``synchronous_commit=off`` (that transaction only), the audited versions stay synchronous, and
audit entries per note do not grow with autosaves (issue 14 item 3)."""

from __future__ import annotations

from typing import Any

from kap_notes.service import autosave, lifecycle
from kap_notes.service.notes import get_note
from tests.conftest import synthetic_patient
from tests.vault_robustness.conftest import Clinic


def _answers(n: int) -> dict[str, Any]:
    return {"session_datetime": "2026-03-02 10:00", "route": "im", "dose_mg": 30 + n}


def test_coalesced_autosaves_on_postgres(pg_clinic: Clinic) -> None:
    tess = pg_clinic.unlock("tess")
    patient = tess.create_patient(
        {"kind": "patient", "chart_code": "KAP-PG1", "sex": "unknown", **synthetic_patient()}
    )
    ref = lifecycle.save_draft(tess, patient, "dosing", _answers(0)).ref
    seen: list[str] = []
    real = tess.store.set_meta

    def spy(key: str, value: str) -> None:
        seen.append(str(tess.store._db.execute("SHOW synchronous_commit").fetchone()[0]))  # type: ignore[attr-defined]
        real(key, value)

    tess.store.set_meta = spy  # type: ignore[method-assign]
    for n in range(1, 6):
        saved = lifecycle.save_draft(
            tess,
            patient,
            "dosing",
            _answers(n),
            note_id=ref.note_id,
            expected_version=ref.version,
            coalesce=True,
        )
        assert saved.ref == ref
    assert seen == ["off"] * 5
    assert get_note(tess, ref.note_id).answers["dose_mg"] == 35
    assert autosave.close(tess, ref.note_id) == (2, True)
    writes = [
        r.action for r in tess.store.audit_rows() if r.record == ref.note_id and r.action != "read"
    ]
    assert writes == ["create", "update"]
    assert str(tess.store._db.execute("SHOW synchronous_commit").fetchone()[0]) == "on"  # type: ignore[attr-defined]
