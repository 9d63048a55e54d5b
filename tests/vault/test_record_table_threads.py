"""A checkpoint-backed record table read by parallel readers (the key holder's shared reads).

A patient's record facts are rebuilt from the audit log the first time anyone touches the
patient. Two readers touching the same patient at once must both see every fact: the second may
never find the patient "loaded" while its facts are still being rebuilt (it would then take a
genuine record for one nobody authorised and refuse it as tampering).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from kap_notes.vault.recordfacts import Lazy, RecordTable, commits_for, index_for, rebuild
from kap_notes.vault.store import AuditRow
from tests.conftest import Clinic, synthetic_patient


def test_a_reader_waits_for_a_rebuild_under_way_instead_of_missing_its_facts(
    clinic: Clinic,
) -> None:
    tess = clinic.unlock("tess")
    patient = tess.create_patient({"kind": "patient", **synthetic_patient()})
    notes = [tess.put_record(patient, {"kind": "note", "n": n})[0] for n in range(3)]
    rows = list(clinic.vault.store.audit_rows(patient))
    upto = max(r.seq for r in rows)
    full = RecordTable(rebuild(patient, rows, upto))
    index, order = index_for(full)
    started = threading.Event()

    def slow_rows(space: str) -> Iterator[AuditRow]:
        started.set()
        for row in rows:
            time.sleep(0.05)  # a rebuild that takes a while (a patient with a long history)
            yield row

    lazy = Lazy(upto, index, order, commits_for(full, [patient]), slow_rows)
    table = RecordTable({}, lazy)
    seen: dict[str, object] = {}

    first = threading.Thread(target=lambda: seen.setdefault("first", table.get(notes[0])))
    first.start()
    assert started.wait(10)
    second = table.get(notes[-1])  # while the first reader is still rebuilding
    first.join(10)

    assert second is not None
    assert second.author == tess.user_id
    assert seen["first"] is not None
    assert table.records_of(patient) == {patient, *notes}
