"""The patient's identity above a form: read-only, from the patient record (never asked again)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from kap_notes.model.patient import SEX_CODES, sex_code

FIELDS = (("chart_code", "Chart code"), ("name", "Name"), ("date_of_birth", "Date of birth"))


def identity_parts(patient: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """(label, text) of the identity fields the record has: chart code, name, birth date, sex."""
    if not patient:
        return []
    parts = [(label, str(patient[key])) for key, label in FIELDS if patient.get(key)]
    if patient.get("sex"):
        code = sex_code(patient["sex"])
        parts.append(("Sex", SEX_CODES.get(code, code)))
    return parts


def identity_html(patient: Mapping[str, Any] | None) -> str:
    """One line of theme-coloured HTML: ``Patient: Chart code KAP-7F3K2Q · Name … · …``."""
    parts = identity_parts(patient)
    if not parts:
        return ""
    shown = " · ".join(
        f'<span style="color: var(--jp-ui-font-color2)">{escape(label)}</span> '
        f'<strong style="color: var(--jp-ui-font-color0)">{escape(text)}</strong>'
        for label, text in parts
    )
    return f'<div class="kap-identity" role="note" aria-label="Patient">Patient: {shown}</div>'
