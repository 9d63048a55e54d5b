"""The DOM classes the labextension's a11y module turns into labels and ARIA (issue 13 item 6):
label + control in each field row, required rows, items showing errors, the live status line."""

from __future__ import annotations

import pytest

from kap_notes.widgets.fields import FieldWidget
from kap_notes.widgets.style import label_html
from tests.widgets.test_widgets_form_view import SESSIONS, _fields, fill, make_view, sign


@pytest.mark.parametrize("session", SESSIONS)
def test_every_field_row_carries_its_label_control_and_required_mark(session: str) -> None:
    view = make_view(session)
    fields = _fields(view.body)
    assert fields
    for widget in fields:
        # One box is the item and its field row (a11y.ts: row.closest(".kap-item") is itself,
        # so its kap-messages child describes the control).
        row = widget.container
        assert "kap-field" in row._dom_classes
        # a11y.ts: the label is the row's kap-label, the control the element right after it
        assert row.children[0] is widget.label
        assert "kap-label" in widget.label._dom_classes
        assert row.children[1] is widget.control
        assert ("kap-required" in row._dom_classes) == widget.item.required
        assert "kap-item" in widget.container._dom_classes
    assert any(w.item.required for w in fields)


def test_errors_mark_the_item_invalid_until_fixed() -> None:
    view = make_view("intention")
    grounding = view.body.widgets["grounding_plan"]
    assert isinstance(grounding, FieldWidget)
    assert "kap-invalid" not in grounding.container._dom_classes
    sign(view)  # every problem shows, "required" included
    assert grounding.messages
    assert "kap-invalid" in grounding.container._dom_classes
    (messages,) = [c for c in grounding.container.children if "kap-messages" in c._dom_classes]
    assert "required" in messages.value.lower()
    fill(view, {"grounding_plan": "Synthetic plan: breathe, name five things in the room."})
    assert not grounding.messages
    assert "kap-invalid" not in grounding.container._dom_classes


def test_warnings_are_not_errors() -> None:
    view = make_view("intention")
    widget = view.body.widgets["hopes"]
    widget.show_messages(["Synthetic warning"], "warning")
    assert "kap-invalid" not in widget.container._dom_classes
    widget.show_messages(["Synthetic error"], "error")
    assert "kap-invalid" in widget.container._dom_classes


def test_the_status_line_is_the_live_region() -> None:
    view = make_view("intention")
    assert view.lifecycle is not None
    assert "kap-live" in view.lifecycle.status._dom_classes
    view.save_draft()
    assert view.lifecycle.status.value.count("Draft saved") == 1


def test_the_required_star_is_hidden_from_screen_readers() -> None:
    html = label_html("Dose", required=True, unit="mg")
    assert html.startswith('<label style="color: var(--jp-ui-font-color1)">Dose (mg) <span')
    assert '<span aria-hidden="true"><span style="color: var(--jp-error-color1)">*</span>' in html
    assert "aria-hidden" not in label_html("Dose", unit="mg")


def test_a_multi_choice_keeps_its_tooltip_in_the_kernel() -> None:
    # ipywidgets' VBoxView reads a `description` a Box lacks once it gets a tooltip, and the
    # browser shows "Could not create a view" instead of the checkboxes.
    view = make_view("intention")
    topics = view.body.widgets["psychoeducation"]
    assert isinstance(topics, FieldWidget)
    assert "tooltip" not in topics.control.get_state()
    assert [box.tooltip for box in topics.control.boxes][:1] == [
        "Psychoeducation covered: What to expect during the session"
    ]
