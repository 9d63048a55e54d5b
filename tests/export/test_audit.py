"""Every export is one signed ``export`` audit entry naming the patient (and note), ids only."""

from __future__ import annotations

from kap_notes.export import export_fhir_bundle, export_note_pdf, export_record_pdf
from kap_notes.vault import audit
from tests.export.conftest import Recorded


def _exports(recorded: Recorded) -> list[tuple[str, str | None, str | None]]:
    rows = recorded.tess.store.audit_rows(recorded.patient_id)
    return [(r.actor, r.patient, r.record) for r in rows if r.action == "export"]


def test_each_export_is_audited(recorded: Recorded) -> None:
    before = _exports(recorded)
    export_record_pdf(recorded.tess, recorded.patient_id)
    export_note_pdf(recorded.sam, recorded.cosigned)
    export_fhir_bundle(recorded.tess, recorded.patient_id)
    tess, sam = recorded.tess.user_id, recorded.sam.user_id
    assert _exports(recorded)[len(before) :] == [
        (tess, recorded.patient_id, None),
        (sam, recorded.patient_id, recorded.cosigned),
        (tess, recorded.patient_id, None),
    ]
    newest = list(recorded.tess.store.audit_rows(recorded.patient_id))[-1]
    assert recorded.course.profile["name"].encode() not in newest.entry
    report = audit.verify_chain(recorded.tess.store, recorded.tess.vault.vault_id)
    assert report.problems == []
