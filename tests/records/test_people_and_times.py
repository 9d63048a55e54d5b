"""Every view shows who signed (display name and credentials) and when (clinic time zone, to
the minute), and prints what the clinician typed, date and time (issue 10, observation 5)."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pypdf
import pytest

from kap_notes.compile.compiled import compile_patient
from kap_notes.export.pdf import note_pdf
from kap_notes.model.times import display_typed, format_timestamp
from kap_notes.records.chart import NoteView, chart
from kap_notes.service import lifecycle
from kap_notes.widgets.review import ReviewQueue, note_preview_html
from tests.records.conftest import ADDENDUM, SAM, TESS, ZONE, Labelled

#: A system timestamp as stored (ISO, seconds and microseconds, offset): never shown to people.
RAW_STAMP = re.compile(r"\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?")


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _dosing_view(labelled: Labelled) -> NoteView:
    notes = chart(labelled.tess, labelled.patient_id).notes
    return next(v for v in notes if v.note.note_id == labelled.dosing_id)


@pytest.fixture(scope="module")
def dosing_pdf(labelled: Labelled) -> str:
    chart_ = chart(labelled.tess, labelled.patient_id)
    return _pdf_text(note_pdf(labelled.tess, chart_, labelled.dosing_id))


def test_the_pdf_prints_every_typed_time_of_a_dosing_note(
    labelled: Labelled, dosing_pdf: str
) -> None:
    answers = _dosing_view(labelled).note.answers
    typed = [answers[k] for k in ("start_time", "end_time", "discharge_time")]
    typed += [row["measured_at"] for row in answers["vitals"]]
    assert len(answers["vitals"]) >= 3
    for value in typed:
        shown = display_typed(value)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", shown)
        assert shown in dosing_pdf, value


def test_the_pdf_shows_names_credentials_and_clinic_time(
    labelled: Labelled, dosing_pdf: str
) -> None:
    view = _dosing_view(labelled)
    signature = view.note.signature
    assert signature is not None
    assert signature["signer_name"] == TESS  # signed as shown
    signed = format_timestamp(signature["signed_at"], ZONE)
    assert signed.endswith(("EST", "EDT"))
    assert f"Signed by {TESS} {signed}" in dosing_pdf
    cosigned = format_timestamp(view.reviews[0].at, ZONE)
    assert f"Co-signed by {SAM} (version {view.note.version}) {cosigned}" in (dosing_pdf)
    addendum_at = format_timestamp(view.addenda[0].created_at, ZONE)
    assert f"Addendum by {TESS}, {addendum_at}" in dosing_pdf
    assert not RAW_STAMP.search(dosing_pdf)


def test_the_notebook_shows_names_credentials_and_clinic_time(labelled: Labelled) -> None:
    notebook = json.loads(compile_patient(labelled.sam, labelled.patient_id).notebook_json)
    text = "\n".join(
        "".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown"
    )
    view = _dosing_view(labelled)
    assert view.note.signature is not None
    signed = format_timestamp(view.note.signature["signed_at"], ZONE)
    assert f"Signed by {TESS} at {signed}" in text
    assert f"Co-signed by {SAM} at {format_timestamp(view.reviews[0].at, ZONE)}" in text
    assert f"Addendum by {TESS} at {format_timestamp(view.addenda[0].created_at, ZONE)}" in text
    assert not RAW_STAMP.search(text)


def _backend_for(labelled: Labelled) -> Any:
    """The widget's backend over the supervisor's in-process session."""
    from kap_notes.agent.client import default_backend  # noqa: PLC0415

    return default_backend(labelled.sam, lambda _request: "unused")


def test_review_preview_renders_labels_and_answers_not_keys_or_reprs(labelled: Labelled) -> None:
    queue = ReviewQueue(_backend_for(labelled))
    waiting = [n for n in labelled.note_ids if n != labelled.cosigned]
    assert queue.time_zone == ZONE
    assert len(queue.rows.children) == len(waiting)
    row_label = queue.rows.children[0].children[0].value
    assert re.search(r"signed \d{4}-\d\d-\d\d \d\d:\d\d E[SD]T", row_label)
    for note_id in waiting:
        queue.show(note_id)
        shown = queue.preview.value
        details = lifecycle.note_details(labelled.sam, note_id).as_dict()
        assert f"Signed by {TESS} at " in shown
        for raw in ("{'", "['", "phq9_1", "gad7_1", "session_datetime", ">True<", ">False<"):
            assert raw not in shown, (raw, details["form"])
        assert not RAW_STAMP.search(shown)
    preparation = lifecycle.note_details(labelled.sam, labelled.note_ids[0]).as_dict()
    html = note_preview_html(preparation, ZONE)
    assert "Total score" in html
    assert "PHQ-9" in html


def test_the_review_preview_lists_cosigns_and_addenda(labelled: Labelled) -> None:
    details = lifecycle.note_details(labelled.sam, labelled.dosing_id).as_dict()
    html = note_preview_html(details, ZONE)
    assert f"Co-signed by {SAM} at " in html
    assert f"Addendum by {TESS} at " in html
    assert ADDENDUM in html
