"""Pick a patient or create one by name; the service generates the chart code and the picker shows
it (synthetic data in the demo)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets

from kap_notes.widgets.style import tone


class PatientPicker:
    """A dropdown of `(patient_id, label)` plus a "Create patient" field calling `create_patient`.

    `create_patient(name)` returns the new patient id, or ``{"patient_id", "chart_code"}`` (what
    the ``add_patient`` operation answers) so the generated chart code is shown;
    `on_select(patient_id | None)` is called on each change.
    """

    def __init__(
        self,
        patients: Sequence[tuple[str, str]],
        create_patient: Callable[[str], str | Mapping[str, str]],
        on_select: Callable[[str | None], None] | None = None,
    ) -> None:
        self._create_patient = create_patient
        self._on_select = on_select
        self.dropdown = widgets.Dropdown(
            description="Patient",
            options=[("— choose —", None), *((label, pid) for pid, label in patients)],
            value=None,
            style={"description_width": "initial"},
        )
        self.new_label = widgets.Text(
            description="New patient",
            placeholder="name (chart code is generated)",
            continuous_update=False,
        )
        self.new_label.style = {"description_width": "initial"}
        self.create_button = widgets.Button(description="Create patient", icon="user-plus")
        self.status = widgets.HTML()
        self.create_button.on_click(lambda _b: self.create())
        self.dropdown.observe(self._selected, names="value")
        self.widget = widgets.VBox(
            [self.dropdown, widgets.HBox([self.new_label, self.create_button]), self.status]
        )

    @property
    def value(self) -> str | None:
        """The selected patient id."""
        selected: str | None = self.dropdown.value
        return selected

    @value.setter
    def value(self, patient_id: str | None) -> None:
        self.dropdown.value = patient_id

    def create(self) -> str | None:
        """Create a patient from the typed name and select it; failures keep what was typed."""
        label = self.new_label.value.strip()
        if not label:
            self.status.value = tone("Type a name for the new patient first", "error")
            return None
        try:
            created = self._create_patient(label)
        except Exception as error:  # keep what was typed, say why
            self.status.value = tone(f"Could not create the patient: {error}", "error")
            return None
        if isinstance(created, Mapping):
            patient_id, chart_code = str(created["patient_id"]), created.get("chart_code")
        else:
            patient_id, chart_code = created, None
        shown = f"{chart_code} · {label}" if chart_code else label
        self.dropdown.options = [*self.dropdown.options, (shown, patient_id)]
        self.dropdown.value = patient_id
        self.new_label.value = ""
        note = f": chart code {chart_code}" if chart_code else ""
        self.status.value = tone(f"Created {label}{note}", "success")
        return patient_id

    def _selected(self, change: Any) -> None:
        if self._on_select is not None:
            self._on_select(change["new"])

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
