"""records/display: one renderer of an answer, given its template item, for every view."""

from __future__ import annotations

from kap_notes.forms import FormDefinition, Item, get_template
from kap_notes.records.display import display_answer, display_plain, display_rows, form_answer
from kap_notes.records.layout import blocks_html, note_blocks

DOSING = get_template("dosing")
PREPARATION = get_template("preparation")


def _item(definition: FormDefinition, link_id: str) -> Item:
    item = definition.find(link_id)
    assert item is not None, link_id
    return item


def test_each_answer_type_renders_one_way() -> None:
    route = _item(DOSING, "route")
    option = route.options[0]
    assert display_answer(route, option.code) == option.display
    assert display_answer(_item(DOSING, "escort_present"), True) == "Yes"
    assert display_answer(_item(DOSING, "escort_present"), False) == "No"
    assert display_answer(_item(DOSING, "dose_mg"), "35.50") == "35.5 mg"
    assert display_answer(_item(DOSING, "dose_mg"), 35.0) == "35 mg"
    start = _item(DOSING, "start_time")
    assert display_answer(start, "2026-01-05T10:30") == "2026-01-05 10:30"
    assert display_answer(start, "") == ""
    risks = _item(PREPARATION, "risks_discussed")
    codes = [o.code for o in risks.options[:2]]
    texts = [o.display for o in risks.options[:2]]
    assert display_answer(risks, codes) == ", ".join(texts)
    assert form_answer("dosing", "ae_onset", "2026-01-05T11:05") == "2026-01-05 11:05"
    assert [display_plain(v) for v in (True, 2.50, None)] == ["Yes", "2.5", ""]


def test_rows_of_a_repeating_group_have_units_in_the_header_and_typed_times() -> None:
    vitals = _item(DOSING, "vitals")
    rows = [
        {"measured_at": "2026-01-05T10:00", "systolic": 128, "vitals_source": "monitor"},
        {"measured_at": "2026-01-05 10:40", "systolic": "141"},
    ]
    table = display_rows(vitals, rows)
    assert table is not None
    header, body = table
    time_column = header.index(_item(DOSING, "measured_at").text)
    assert [row[time_column] for row in body] == ["2026-01-05 10:00", "2026-01-05 10:40"]
    assert any("mmHg" in h for h in header)
    assert display_rows(vitals, []) is None


def test_blocks_html_escapes_everything_and_shows_labels_not_link_ids() -> None:
    answers = {
        "route": "iv",
        "start_time": "2026-01-05T10:30",
        "experience": "<script>alert(1)</script>",
        "escort_present": True,
    }
    html = blocks_html(note_blocks(DOSING, answers, {}))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "2026-01-05 10:30" in html
    assert "start_time" not in html
    assert "escort_present" not in html
    assert ">Yes<" in html
