"""Pick a patient, or create one once: name, date of birth, sex and contact. The service generates
the chart code and the picker shows it; forms then show this identity and never ask for it again
(synthetic data in the demo)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets

from kap_notes.model.patient import SEX_CODES
from kap_notes.widgets.style import heading_html, tone

PatientDetails = dict[str, str]
"""What "Create patient" sends: ``name``, ``date_of_birth`` (YYYY-MM-DD), ``sex``, ``contact``."""

_WIDE = {"description_width": "9em"}


class PatientPicker:
    """A dropdown of `(patient_id, label)` and a "New patient" form calling `create_patient`.

    `create_patient(details)` gets :data:`PatientDetails` and returns the new patient id, or
    ``{"patient_id", "chart_code"}`` (what the ``add_patient`` operation answers) so the
    generated chart code is shown; `on_select(patient_id | None)` is called on each change.
    """

    def __init__(
        self,
        patients: Sequence[tuple[str, str]],
        create_patient: Callable[[PatientDetails], str | Mapping[str, str]],
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
            description="Name", placeholder="given and family name", style=_WIDE
        )
        self.date_of_birth = widgets.DatePicker(description="Date of birth", style=_WIDE)
        self.sex = widgets.Dropdown(
            description="Sex",
            options=[(text, code) for code, text in SEX_CODES.items()],
            value="unknown",
            style=_WIDE,
        )
        self.contact = widgets.Text(
            description="Contact", placeholder="phone or e-mail (optional)", style=_WIDE
        )
        self.create_button = widgets.Button(
            description="Create patient",
            icon="user-plus",
            tooltip="Register the patient; the chart code is generated and shown here",
            layout=widgets.Layout(width="auto"),
        )
        self.status = widgets.HTML()
        self.create_button.on_click(lambda _b: self.create())
        self.dropdown.observe(self._selected, names="value")
        new_patient = widgets.VBox(
            [
                widgets.HTML(heading_html("New patient (chart code is generated)", 5)),
                self.new_label,
                self.date_of_birth,
                self.sex,
                self.contact,
                self.create_button,
            ]
        )
        self.widget = widgets.VBox([self.dropdown, new_patient, self.status])
        self.widget.add_class("kap-widgets")

    @property
    def value(self) -> str | None:
        """The selected patient id."""
        selected: str | None = self.dropdown.value
        return selected

    @value.setter
    def value(self, patient_id: str | None) -> None:
        self.dropdown.value = patient_id

    def details(self) -> PatientDetails:
        """What was typed into the New patient form."""
        born = self.date_of_birth.value
        return {
            "name": self.new_label.value.strip(),
            "date_of_birth": born.isoformat() if born else "",
            "sex": str(self.sex.value or "unknown"),
            "contact": self.contact.value.strip(),
        }

    def create(self) -> str | None:
        """Create the patient and select it; failures keep what was typed and say why."""
        details = self.details()
        missing = [
            text
            for key, text in (("name", "a name"), ("date_of_birth", "a date of birth"))
            if not details[key]
        ]
        if missing:
            self.status.value = tone(f"Type {' and '.join(missing)} first", "error")
            return None
        try:
            created = self._create_patient(details)
        except Exception as error:  # keep what was typed, say why
            self.status.value = tone(f"Could not create the patient: {error}", "error")
            return None
        if isinstance(created, Mapping):
            patient_id, chart_code = str(created["patient_id"]), created.get("chart_code")
        else:
            patient_id, chart_code = created, None
        name = details["name"]
        shown = f"{chart_code} · {name}" if chart_code else name
        self.dropdown.options = [*self.dropdown.options, (shown, patient_id)]
        self.dropdown.value = patient_id
        self._clear()
        note = f": chart code {chart_code}" if chart_code else ""
        self.status.value = tone(f"Created {name}{note}", "success")
        return patient_id

    def _clear(self) -> None:
        self.new_label.value = ""
        self.date_of_birth.value = None
        self.sex.value = "unknown"
        self.contact.value = ""

    def _selected(self, change: Any) -> None:
        if self._on_select is not None:
            self._on_select(change["new"])

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
