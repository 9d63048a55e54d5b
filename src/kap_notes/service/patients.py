"""Use cases for patients: register, list, show; and the rules for chart codes.

A chart code is the label a clinic uses for a patient in place of their name, and the name of the
patient's folder in ``kap-vault/``. It lives inside the encrypted profile record (never in a
plaintext column), so uniqueness is checked among the patients the user can read: the service
generates one (``KAP-`` + 6 characters from an unambiguous alphabet) unless the clinic supplies its
own, which must match :data:`CHART_CODE_RE` and not already be used. Two patients that do end up
sharing a code (created by clinicians who could not see each other's patients) are never resolved
by code: :func:`resolve_chart_code` refuses the ambiguity.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from kap_notes.model.patient import InvalidInput, Patient, new_chart_code
from kap_notes.vault.errors import UnknownRecord
from kap_notes.vault.session import Session

#: Upper-case letters, digits and '-', starting with a letter or digit, 3-32 characters.
CHART_CODE_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{2,31}")
#: What a clinician may type: the same, in either case (stored upper-cased).
_TYPED_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{2,31}")
#: How many random codes to try before giving up (32**6 codes: a clash is already rare).
GENERATE_ATTEMPTS = 64


class AmbiguousChartCode(UnknownRecord):
    """Two or more patients the user can open carry the same chart code."""


@dataclass(frozen=True)
class PatientSummary:
    """What a patient list shows."""

    patient_id: str
    chart_code: str
    name: str
    date_of_birth: str


@dataclass(frozen=True)
class NewPatient:
    """A registered patient: the id and the chart code to show the clinician."""

    patient_id: str
    chart_code: str


def is_chart_code(value: object) -> bool:
    """True if ``value`` is a well-formed chart code (as stored: upper case)."""
    return isinstance(value, str) and CHART_CODE_RE.fullmatch(value) is not None


def chart_code_problem(value: object) -> str | None:
    """Why ``value`` cannot be a chart code (a message a clinician can act on), or None."""
    if not isinstance(value, str):
        return f"Chart code must be text like KAP-7F3K2Q, not {type(value).__name__}"
    if is_chart_code(value):
        return None
    shown = value if len(value) <= 40 else value[:37] + "..."
    return (
        f"Chart code {shown!r} may only use letters, digits and '-', "
        "3-32 characters, starting with a letter or digit (e.g. KAP-7F3K2Q)"
    )


def normalise_chart_code(value: object) -> str:
    """A supplied chart code, upper-cased; raises :class:`InvalidInput` if malformed."""
    if not isinstance(value, str):
        raise InvalidInput([chart_code_problem(value) or "Chart code must be text"])
    if _TYPED_RE.fullmatch(value) is None:
        raise InvalidInput([chart_code_problem(value) or "Chart code is not well formed"])
    return value.upper()


def unique_chart_code(taken: Collection[str], generate: Callable[[], str] = new_chart_code) -> str:
    """A generated chart code not in ``taken`` (retried; fails loudly rather than reuse one)."""
    for _ in range(GENERATE_ATTEMPTS):
        code = generate()
        if code not in taken and is_chart_code(code):
            return code
    raise InvalidInput(
        ["Could not generate an unused chart code; try again or type one (e.g. KAP-7F3K2Q)"]
    )


def chart_codes(session: Session) -> dict[str, list[str]]:
    """Chart code → ids of the patients carrying it, for every patient this user can open."""
    codes: dict[str, list[str]] = {}
    for record in session.list_patients():
        codes.setdefault(str(record.content.get("chart_code") or ""), []).append(record.record_id)
    return codes


def resolve_chart_code(codes: Mapping[str, list[str]], code: str) -> str:
    """The one patient id for ``code``; refuses a malformed, unknown or shared code."""
    if not is_chart_code(code):
        raise UnknownRecord(chart_code_problem(code) or code)
    ids = codes.get(code, [])
    if not ids:
        raise UnknownRecord(f"no patient folder {code} that you can open")
    if len(ids) > 1:
        raise AmbiguousChartCode(
            f"chart code {code} is used by {len(ids)} patients you can open, so its folder "
            "cannot be opened: open the patient from the KAP panel and ask the clinic's admin "
            "to give one of them a new chart code"
        )
    return ids[0]


def register_patient(session: Session, data: Mapping[str, Any]) -> NewPatient:
    """Register a patient treated by the session's user, with a unique chart code.

    A supplied ``chart_code`` must be well formed and unused among the patients the user can
    read; without one the service generates it. Raises :class:`InvalidInput` listing every problem.
    """
    if not isinstance(data, Mapping):
        raise InvalidInput(["Patient details must be an object with name, date_of_birth, ..."])
    taken = chart_codes(session)
    problems: list[str] = []
    supplied = data.get("chart_code")
    code: str | None = None
    if supplied is not None and supplied != "":  # an empty field means "generate one"
        try:
            code = normalise_chart_code(supplied)
        except InvalidInput as error:
            problems.extend(error.problems)
        if code is not None and code in taken:
            problems.append(
                f"Chart code {code} is already used by a patient you can open; "
                "choose another or leave it empty to have one generated"
            )
    try:
        patient = Patient.from_input({**data, "chart_code": code or unique_chart_code(taken)})
    except InvalidInput as error:
        problems = [*problems, *error.problems]
    if problems:
        raise InvalidInput(problems)
    patient_id = session.create_patient(patient.to_record())
    return NewPatient(patient_id, patient.chart_code)


def add_patient(session: Session, data: Mapping[str, Any]) -> str:
    """Register a patient treated by the session's user; returns the new patient id."""
    return register_patient(session, data).patient_id


def list_patients(session: Session) -> list[PatientSummary]:
    """Every patient the user can open, by name."""
    summaries = [
        PatientSummary(
            r.patient_id,
            str(r.content.get("chart_code") or ""),
            str(r.content.get("name") or ""),
            str(r.content.get("date_of_birth") or ""),
        )
        for r in session.list_patients()
    ]
    return sorted(summaries, key=lambda s: (s.name.lower(), s.patient_id))


def show_patient(session: Session, patient_id: str) -> Patient:
    """A patient's demographics."""
    session.patient(patient_id)
    return Patient.from_record(session.get_record(patient_id).content)
