"""Read-only values in the forms (computed items, instrument scores) use the one renderer:
the same Yes/No, numbers and units the notebook and the PDF show (issue 10, observation 10)."""

from __future__ import annotations

from kap_notes.forms import get_template
from kap_notes.records.display import display_answer
from kap_notes.widgets.fields import ComputedWidget
from kap_notes.widgets.sections import score_text

DOSING = get_template("dosing")


def test_computed_values_show_as_every_view_shows_them() -> None:
    item = DOSING.find("dose_mg_per_kg")
    assert item is not None
    assert item.is_computed
    widget = ComputedWidget(item)
    assert "—" in widget.output.value
    widget.show_value(0.50)
    assert "0.5 mg/kg" in widget.output.value
    assert display_answer(item, 0.50) == "0.5 mg/kg"
    widget.show_value(1.0)
    assert "1 mg/kg" in widget.output.value
    assert "1.0" not in widget.output.value


def test_instrument_derived_values_say_yes_or_no() -> None:
    integration = get_template("integration")
    item = next(i for i, _ in integration.walk() if i.link_id == "phq9")
    phq9 = integration.instrument_for(item)
    assert phq9.score is not None
    derived = dict.fromkeys(phq9.score.derived_labels, True)
    text = score_text(phq9, {"total": 12.0, "band_label": "Moderate", **derived})
    assert derived  # PHQ-9 says whether it is a remission
    assert "Remission (total below 5): Yes" in text
    assert "True" not in text
    assert "Total 12 (0" in text
