"""kap_notes.widgets: ipywidgets rendering of note forms (a thin adapter over kap_notes.forms)."""

from __future__ import annotations

from kap_notes.widgets.controller import FormController, SaveOutcome
from kap_notes.widgets.fields import FIELD_BUILDERS, ItemWidget
from kap_notes.widgets.form import FormView
from kap_notes.widgets.patient import PatientPicker
from kap_notes.widgets.sections import WIDGET_BUILDERS

__all__ = [
    "FIELD_BUILDERS",
    "WIDGET_BUILDERS",
    "FormController",
    "FormView",
    "ItemWidget",
    "PatientPicker",
    "SaveOutcome",
]
