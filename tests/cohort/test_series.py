"""A course's instrument series are read from the notes that scored each instrument: the same
series (baseline, points, response and remission) as read from every signed note."""

from __future__ import annotations

from kap_notes.compile.cohort.deidentify import instrument_series
from kap_notes.records.chart import build_views
from kap_notes.records.derived import instrument_totals
from kap_notes.records.outcomes import CHARTED_INSTRUMENTS, in_signed_record, series_for
from tests.cohort.conftest import Demo


def test_series_from_scoring_notes_equal_series_from_every_note(demo: Demo) -> None:
    sam = demo.unlock("sam")
    read = sam.read_patients(p for p in sam.readable_patients() if sam.has_access(p))
    compared = 0
    for records in read.values():
        signed = [v for v in build_views(records, sam.signing_key_of) if in_signed_record(v)]
        scored = {key for view in signed for key in instrument_totals(view.note)}
        expected = [series_for(key, signed) for key in CHARTED_INSTRUMENTS if key in scored]
        found = instrument_series(signed)
        assert found == expected
        assert len(found) >= 2  # PHQ-9 and GAD-7 at least
        compared += sum(len(s.points) for s in found)
    assert compared > 100
    sam.vault.close()
