"""What a reader sees in exported PDFs: frame on every page, answers, scores, signatures."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from kap_notes.export import export_note_pdf, export_record_pdf
from kap_notes.export.charts import outcome_chart_png
from kap_notes.model.patient import InvalidInput
from kap_notes.records.chart import chart
from kap_notes.records.outcomes import outcome_series
from tests.export.conftest import (
    ADDENDUM,
    PROCESS_TEXT,
    RETURN_COMMENT,
    Recorded,
    open_pdf,
    page_texts,
)


def _minutes(stamp: str) -> str:
    """``2026-11-22T21:04:05.123+00:00`` → ``2026-11-22 21:04`` as the PDF shows it."""
    return stamp[:16].replace("T", " ")


@pytest.fixture(scope="module")
def record_text(recorded: Recorded) -> list[str]:
    result = export_record_pdf(recorded.tess, recorded.patient_id)
    return page_texts(open_pdf(result.pdf, result.passphrase))


def test_every_page_has_chart_code_confidential_and_page_number(
    recorded: Recorded, record_text: list[str]
) -> None:
    code = recorded.course.profile["chart_code"]
    assert len(record_text) > 3
    for number, text in enumerate(record_text, start=1):
        assert code in text, f"page {number}"
        assert "Confidential" in text, f"page {number}"
        assert f"Page {number} of {len(record_text)}" in text


def test_record_shows_every_signature_with_time(recorded: Recorded, record_text: list[str]) -> None:
    text = " ".join(record_text)
    views = chart(recorded.tess, recorded.patient_id).notes
    assert len(views) == len(recorded.note_ids)
    for view in views:
        signature = view.note.signature
        assert signature is not None
        assert f"Signed by {signature['signer_name']} {_minutes(signature['signed_at'])}" in text
    cosign = next(v for v in views if v.note.note_id == recorded.cosigned).reviews[0]
    assert f"Co-signed by sam (version 2) {_minutes(cosign.at)}" in text
    returned = next(v for v in views if v.note.note_id == recorded.returned).reviews[0]
    assert f"Returned by sam (version 2) {_minutes(returned.at)}" in text
    assert RETURN_COMMENT in text
    addendum = next(v for v in views if v.note.note_id == recorded.addended).addenda[0]
    assert f"Addendum by tess, {_minutes(addendum.created_at)}" in text
    assert ADDENDUM in text
    assert text.count("signature verified") >= len(views) + 3
    assert "NOT VALID" not in text


def test_answers_are_labelled_with_template_text_and_units(
    recorded: Recorded, record_text: list[str]
) -> None:
    text = " ".join(record_text)
    dosing = recorded.course.steps[2].answers
    assert "Route Intranasal esketamine (Spravato)" in text  # option display, not the code
    assert f"Dose {dosing['dose_mg']:g} mg" in text
    assert re.search(r"Dose per kg body weight \d+\.\d+ mg/kg", text)  # computed, with unit
    assert "Systolic BP (mmHg)" in text  # vitals table header with unit


def test_scores_and_bands_are_shown(recorded: Recorded, record_text: list[str]) -> None:
    text = " ".join(record_text)
    phq9 = recorded.course.steps[0].answers["phq9"]
    total = sum(int(v) for k, v in phq9.items() if k != "phq9_difficulty")
    band = next(
        label
        for low, high, label in [
            (0, 4, "Minimal"),
            (5, 9, "Mild"),
            (10, 14, "Moderate"),
            (15, 19, "Moderately severe"),
            (20, 27, "Severe"),
        ]
        if low <= total <= high
    )
    assert f"PHQ-9 total {total} ({band})" in text
    assert f"Total score (0–27) {total} ({band})" in text


def test_process_notes_only_when_asked(recorded: Recorded, record_text: list[str]) -> None:
    assert PROCESS_TEXT not in " ".join(record_text)
    assert "process notes excluded" in record_text[0]
    result = export_record_pdf(recorded.tess, recorded.patient_id, include_process=True)
    with_process = " ".join(page_texts(open_pdf(result.pdf, result.passphrase)))
    assert PROCESS_TEXT in with_process
    with pytest.raises(InvalidInput, match="process note"):
        export_note_pdf(recorded.tess, recorded.process_note)
    single = export_note_pdf(recorded.tess, recorded.process_note, include_process=True)
    assert PROCESS_TEXT in " ".join(page_texts(open_pdf(single.pdf, single.passphrase)))


def test_note_pdf_shows_its_cosign_and_addendum(recorded: Recorded) -> None:
    result = export_note_pdf(recorded.sam, recorded.cosigned)
    pages = page_texts(open_pdf(result.pdf, result.passphrase))
    text = " ".join(pages)
    assert "Dosing session" in text
    assert "Co-signed by sam" in text
    assert ADDENDUM in text
    assert "Integration session" not in text  # only the one note
    for number, page in enumerate(pages, start=1):
        assert recorded.course.profile["chart_code"] in page
        assert f"Page {number} of {len(pages)}" in page


def test_record_pdf_contains_the_outcome_chart(recorded: Recorded) -> None:
    expected = outcome_chart_png(outcome_series(chart(recorded.tess, recorded.patient_id).notes))
    assert expected is not None
    width, height = Image.open(io.BytesIO(expected)).size
    result = export_record_pdf(recorded.tess, recorded.patient_id)
    reader = open_pdf(result.pdf, result.passphrase)
    images = [image for page in reader.pages for image in page.images]
    charts = [i for i in images if i.image is not None and i.image.size == (width, height)]
    assert len(charts) == 1
    assert "Outcome measures" in reader.pages[1].extract_text()
