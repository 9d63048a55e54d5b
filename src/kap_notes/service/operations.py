"""Every use case as a JSON-in, JSON-out operation, in one table.

The REST API, the kernel agent and the in-process backend all dispatch through :data:`OPERATIONS`,
so a form in a kernel, a browser request and a test run exactly the same code.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from kap_notes.errors import KapError
from kap_notes.forms import ClinicSettings
from kap_notes.model.patient import InvalidInput
from kap_notes.model.times import clinic_time_zone
from kap_notes.records import chart, myday, preview, worklist
from kap_notes.records.derived import context_for
from kap_notes.service import autosave, lifecycle, linking, patients, requests, review
from kap_notes.service import settings as clinic_settings
from kap_notes.service.notes import get_note, list_notes
from kap_notes.vault import access
from kap_notes.vault.errors import VaultError
from kap_notes.vault.session import Session

Operation = Callable[..., Any]


def _clinic(session: Session) -> ClinicSettings:
    """The clinic settings in force, from the vault's signed log (the same for every path)."""
    return session.clinic_settings()[0]


def _list_patients(session: Session) -> list[dict[str, Any]]:
    return [asdict(p) for p in patients.list_patients(session)]


def _add_patient(session: Session, data: dict[str, Any]) -> dict[str, str]:
    return asdict(patients.register_patient(session, data))


def _list_notes(
    session: Session, patient_id: str, include_process: bool = False
) -> list[dict[str, Any]]:
    views = chart.chart(session, patient_id, include_process=include_process).notes
    return [
        {
            "note_id": v.note.note_id,
            "version": v.note.version,
            "form": v.note.form,
            "status": v.status,
            "session_date": v.note.session_date,
            "addenda": len(v.addenda),
        }
        for v in views
    ]


def _get_note(session: Session, note_id: str) -> dict[str, Any]:
    return lifecycle.note_details(session, note_id, *session.clinic_settings()).as_dict()


def _form_context(
    session: Session,
    patient_id: str,
    form: str,
    answers: dict[str, Any] | None = None,
    note_id: str = "",
) -> dict[str, Any]:
    """The as-of context, plus ``patient`` (identity shown above the form) and, for forms that
    link to another note, ``note_choices`` (see service.linking)."""
    notes = list_notes(session, patient_id)
    context = context_for(form, answers or {}, notes, note_id)
    return {**context, **linking.form_extras(session, patient_id, form, notes)}


def _dosing_choices(session: Session, patient_id: str) -> list[dict[str, Any]]:
    return linking.dosing_choices(session, patient_id)


def _save_draft(
    session: Session,
    *,
    patient_id: str,
    form: str,
    answers: dict[str, Any],
    note_id: str | None = None,
    version: int | None = None,
    expected_author: str | None = None,
    autosave: bool = False,
) -> dict[str, Any]:
    """Save a draft as the unlocked user; ``expected_author`` (the user id the form was opened
    by) must be that user, or nothing is saved. ``autosave``: coalesced into the draft's sealed
    autosave buffer while this session edits it (no audit entry; ``close_draft`` ends it)."""
    saved = lifecycle.save_draft(
        session,
        patient_id,
        form,
        answers,
        note_id=note_id,
        expected_version=version,
        settings=_clinic(session),
        expected_author=expected_author,
        coalesce=autosave,
    )
    return {
        **asdict(saved.ref),
        "author": session.user_id,
        "issues": [i.as_dict() for i in saved.assessment.validation.issues],
    }


def _close_draft(session: Session, note_id: str) -> dict[str, Any]:
    """The form closes: what its autosaves kept becomes the draft's next audited version."""
    version, written = autosave.close(session, note_id)
    return {"note_id": note_id, "version": version, "written": written}


def _discard_draft(
    session: Session, note_id: str, version: int, expected_author: str | None = None
) -> dict[str, Any]:
    """The author discards their draft (audited); signed notes never."""
    lifecycle.check_author(session, expected_author)
    return {**asdict(lifecycle.discard_draft(session, note_id, version)), "discarded": True}


def _sign_note(session: Session, note_id: str, passphrase: str) -> dict[str, Any]:
    settings, version = session.clinic_settings()
    signed = lifecycle.sign_note(
        session, note_id, passphrase, settings=settings, settings_version=version
    )
    return asdict(signed.ref)


def _add_addendum(session: Session, note_id: str, text: str, passphrase: str) -> dict[str, Any]:
    return asdict(lifecycle.add_addendum(session, note_id, text, passphrase=passphrase))


def _review_queue(session: Session) -> list[dict[str, Any]]:
    return [asdict(q) for q in review.review_queue(session)]


def _cosign(
    session: Session, note_id: str, passphrase: str, attestation: str | None = None
) -> dict[str, Any]:
    text = attestation or review.DEFAULT_ATTESTATION
    return asdict(review.cosign(session, note_id, text, passphrase=passphrase))


def _return_note(session: Session, note_id: str, comment: str, passphrase: str) -> dict[str, Any]:
    return asdict(review.return_note(session, note_id, comment, passphrase=passphrase))


def _compile_patient(session: Session, patient_id: str) -> dict[str, Any]:
    from kap_notes.compile.compiled import compile_patient  # noqa: PLC0415 - pandas/matplotlib

    result = compile_patient(session, patient_id, settings=_clinic(session))
    chart_code = str(session.get_record(patient_id).content.get("chart_code"))
    return {
        "changed": result.changed,
        "chart_code": chart_code,
        "path": f"kap-vault/{chart_code}/progress.ipynb",
    }


def _patient_frames(session: Session, patient_id: str) -> dict[str, str]:
    from kap_notes.compile import load_patient_data, patient_frames  # noqa: PLC0415

    frames = patient_frames(load_patient_data(session, patient_id, settings=_clinic(session)))
    return {
        name: frame.to_json(orient="split", date_format="iso") for name, frame in frames.items()
    }


def _render_section(session: Session, patient_id: str, section: str) -> list[dict[str, Any]]:
    from kap_notes.compile import load_patient_data  # noqa: PLC0415
    from kap_notes.compile.sections import SECTIONS  # noqa: PLC0415

    if section not in SECTIONS:
        raise InvalidInput([f"unknown section {section!r}; choose one of: {', '.join(SECTIONS)}"])
    _, render = SECTIONS[section]
    return list(render(load_patient_data(session, patient_id, settings=_clinic(session))))


def _render_overview_section(session: Session, section: str) -> list[dict[str, Any]]:
    from kap_notes.compile.overview import (  # noqa: PLC0415
        OVERVIEW_SECTIONS,
        gather_overview,
        overview_outputs,
    )

    if section not in OVERVIEW_SECTIONS:
        raise InvalidInput([f"unknown section {section!r}"])
    return list(overview_outputs(gather_overview(session, _clinic(session)), section))


#: Where JupyterLab opens the clinic outcomes notebook (compiled in memory when opened).
OUTCOMES_PATH = "kap-vault/outcomes.ipynb"


def _cohort_frames(session: Session) -> dict[str, str]:
    """The de-identified cohort's tables (supervisors and admins; one ``export`` audit entry)."""
    from kap_notes.compile.cohort import build_cohort  # noqa: PLC0415 - pandas

    cohort = build_cohort(session, _clinic(session))
    return {name: frame.to_json(orient="split") for name, frame in cohort.frames.items()}


def _open_outcomes(session: Session) -> dict[str, Any]:
    """Where the clinic outcomes notebook opens (supervisors and admins; anyone else:
    :class:`NotAuthorised`). It is compiled from the de-identified cohort when opened."""
    from kap_notes.compile.cohort.frames import ROLES  # noqa: PLC0415 - pandas

    session.require_role(*ROLES)
    return {"path": OUTCOMES_PATH, "k": _clinic(session).cohort_min_cell}


def _export_record_pdf(session: Session, patient_id: str) -> dict[str, Any]:
    """The record as an AES-256 protected PDF (base64) and its one-time passphrase."""
    from kap_notes.export import export_record_pdf  # noqa: PLC0415 - typst is heavy

    export = export_record_pdf(session, patient_id)
    chart_code = str(session.get_record(patient_id).content.get("chart_code"))
    return {
        "filename": f"{chart_code}-record.pdf",
        "passphrase": export.passphrase,
        "pdf_base64": base64.b64encode(export.pdf).decode("ascii"),
    }


# ------------------------------------------------------- the KAP panel and review (issue 11)
def _find_patients(session: Session, query: str = "") -> list[dict[str, Any]]:
    """Readable patients whose name, chart code or date of birth contain every word of query."""
    return [asdict(h) for h in worklist.find_patients(session, str(query or ""))]


def _patient_notes(session: Session, patient_id: str) -> dict[str, Any]:
    """A patient's notes with status, dates, author and the actions that fit the user."""
    return asdict(worklist.patient_notes(session, patient_id, _clinic(session)))


def _my_day(session: Session) -> dict[str, Any]:
    """What waits for the unlocked user (drafts, returned notes, integrations due, ...)."""
    return asdict(myday.my_day(session, _clinic(session)))


def _note_preview(session: Session, note_id: str) -> dict[str, Any]:
    """A note as readable HTML (the one renderer), titled with whose note it is."""
    settings, version = session.clinic_settings()
    note = lifecycle.note_details(session, note_id, settings, version).as_dict()
    profile = session.get_record(note["patient_id"]).content
    patient = f"{profile.get('name') or ''} · {profile.get('chart_code') or ''}"
    linked = note["answers"].get("linked_dosing_note_id")
    labels: dict[str, str] = {}
    if isinstance(linked, str) and linked:
        try:
            dosing = get_note(session, linked)
            labels[linked] = f"Dosing session {dosing.session_date or ''}".strip()
        except (VaultError, InvalidInput):
            pass
    zone = clinic_time_zone(settings)
    html = preview.note_preview_html(note, zone, patient, labels)
    return {"note_id": note_id, "status": note["status"], "html": html}


def _revise_note(session: Session, note_id: str) -> dict[str, Any]:
    """Start the revision of the user's returned note (or answer the one already started)."""
    note = get_note(session, note_id)
    views = chart.chart(session, note.patient_id, include_process=True).notes
    view = next(v for v in views if v.note.note_id == note_id)
    if view.superseded_by:
        return {"note_id": view.superseded_by, "started": False}
    if note.author != session.user_id or view.status != "returned":
        raise InvalidInput(["only the author revises a note, once it has been returned"])
    return {**asdict(lifecycle.revise_note(session, note_id)), "started": True}


def _clinic_settings(session: Session) -> dict[str, Any]:
    """The flag thresholds in force (clinic settings; flags are for review, never advice)."""
    return _clinic(session).as_mapping()


def _settings_info(session: Session) -> dict[str, Any]:
    """The clinic settings in force with their version, who signed them and when."""
    return clinic_settings.current(session).as_dict()


def _change_settings(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """An admin sets clinic thresholds (signed, audited); ``changed`` says if a version was
    signed. Anyone else: :class:`NotAuthorised` with a clear message."""
    if not isinstance(values, dict):
        raise InvalidInput(["change_settings: values must be an object of setting names"])
    info, changed = clinic_settings.change(session, values)
    return {**info.as_dict(), "changed": changed}


def _whoami(session: Session) -> dict[str, str]:
    return {"user_id": session.user_id, "name": session.user_row.name, "role": session.role.value}


# ----------------------------------------------------------------- access requests (issue 9)
def _patient_labels(session: Session, patient_ids: set[str]) -> dict[str, tuple[str, str]]:
    """Patient id → (chart code, name) for the patients this user can open (one audited read,
    none when ``patient_ids`` is empty)."""
    if not patient_ids:
        return {}
    return {
        r.record_id: (str(r.content.get("chart_code") or ""), str(r.content.get("name") or ""))
        for r in session.list_patients()
        if r.record_id in patient_ids
    }


def _access_requests(session: Session, names: bool = True) -> dict[str, Any]:
    """What waits for this user: access requests to their patients (who asked, for whom) and
    supervisors an admin proposed. ``names=False`` leaves the patients' chart codes and names
    out (no decryption, no audited read: for a badge that only counts)."""
    pending = access.pending_requests(session)
    labels = _patient_labels(session, {r.patient_id for r in pending}) if names else {}
    requests = []
    for r in pending:
        chart_code, patient_name = labels.get(r.patient_id, ("", ""))
        requests.append(
            {
                "patient_id": r.patient_id,
                "chart_code": chart_code,
                "patient_name": patient_name,
                "user": r.user_name,
                "requested_by": r.requested_by,
            }
        )
    return {"requests": requests, "proposed_supervisors": access.proposed_supervisors(session)}


def _answer(session: Session, patient_id: str, user: str, state: str) -> dict[str, Any]:
    chart_code, _ = _patient_labels(session, {patient_id}).get(patient_id, ("", ""))
    return {"patient_id": patient_id, "chart_code": chart_code, "user": user, "state": state}


def _require_text(op: str, **values: object) -> None:
    problems = [
        f"{op}: {name} is required (text)"
        for name, value in values.items()
        if not isinstance(value, str) or not value.strip()
    ]
    if problems:
        raise InvalidInput(problems)


def _approve_access(session: Session, patient_id: str, user: str) -> dict[str, Any]:
    """The treating therapist gives ``user`` access (every key epoch wrapped to them)."""
    _require_text("approve_access", patient_id=patient_id, user=user)
    access.approve_grant(session, patient_id, user)
    return _answer(session, patient_id, user, "granted")


def _deny_access(session: Session, patient_id: str, user: str) -> dict[str, Any]:
    """The treating therapist declines a request (audited; nothing is wrapped)."""
    _require_text("deny_access", patient_id=patient_id, user=user)
    access.deny_grant(session, patient_id, user)
    return _answer(session, patient_id, user, "denied")


def _accept_supervisor(session: Session, supervisor: str) -> dict[str, Any]:
    """The therapist accepts the supervisor an admin proposed; returns how many patients the
    supervisor now reads."""
    _require_text("accept_supervisor", supervisor=supervisor)
    shared = access.accept_supervisor(session, supervisor)
    return {"supervisor": supervisor, "patients": shared}


def _request_access(session: Session, patient_id: str, user: str) -> dict[str, Any]:
    """Ask the patient's treating therapist to give ``user`` access; nothing is wrapped until
    they approve. Returns ``state: "pending"``."""
    _require_text("request_access", patient_id=patient_id, user=user)
    state = access.request_grant(session, patient_id, user)
    return {"patient_id": patient_id, "user": user, "state": state}


def unlock_notices(session: Session) -> list[str]:
    """What the user is told once after unlocking: wrong passphrases since their last unlock and
    break-glass use on their patients, each patient named by chart code and name."""
    notices: list[str] = []
    failed = session.vault.failed_attempts
    if failed:
        plural = "passphrase" if failed == 1 else "passphrases"
        notices.append(
            f"{failed} wrong {plural} for {session.user_row.name} since your last unlock. "
            "If that was not you, tell your clinic's admin."
        )
    mentioned = {
        pid
        for pid in session.policy.owned_patients(session.user_id)
        if any(f"patient {pid}" in n for n in session.notices)
    }
    labels = _patient_labels(session, mentioned)
    for notice in session.notices:
        text = notice
        for pid, (chart_code, name) in labels.items():
            shown = f"{chart_code} ({name})" if name else chart_code
            text = text.replace(f"patient {pid}", f"patient {shown}")
        notices.append(text)
    return notices


OPERATIONS: dict[str, Operation] = {
    "whoami": _whoami,
    "clinic_settings": _clinic_settings,
    "settings_info": _settings_info,
    "change_settings": _change_settings,
    "list_patients": _list_patients,
    "add_patient": _add_patient,
    "list_notes": _list_notes,
    "get_note": _get_note,
    "form_context": _form_context,
    "dosing_choices": _dosing_choices,
    "save_draft": _save_draft,
    "discard_draft": _discard_draft,
    "close_draft": _close_draft,
    "sign_note": _sign_note,
    "add_addendum": _add_addendum,
    "review_queue": _review_queue,
    "cosign": _cosign,
    "return_note": _return_note,
    "compile_patient": _compile_patient,
    "export_record_pdf": _export_record_pdf,
    "patient_frames": _patient_frames,
    "render_section": _render_section,
    "render_overview_section": _render_overview_section,
    "cohort_frames": _cohort_frames,
    "open_outcomes": _open_outcomes,
    "find_patients": _find_patients,
    "patient_notes": _patient_notes,
    "my_day": _my_day,
    "note_preview": _note_preview,
    "revise_note": _revise_note,
    "access_requests": _access_requests,
    "approve_access": _approve_access,
    "deny_access": _deny_access,
    "accept_supervisor": _accept_supervisor,
    "request_access": _request_access,
}


#: Operations that re-authenticate: each needs the acting user's passphrase in ``passphrase``.
#: A kernel never has it: the server parks the operation until JupyterLab confirms it.
CONFIRMED: dict[str, str] = {
    "sign_note": "sign",
    "add_addendum": "addend",
    "cosign": "cosign",
    "return_note": "return",
}


def describe(session: Session, op: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """What a confirmation dialog shows for ``op``: the action, the patient's chart code, the
    note's form and session date (nothing else). Raises the operation's errors early (an unknown
    note is reported at once, not after the dialog)."""
    if op not in CONFIRMED:
        raise InvalidInput([f"{op!r} does not need a confirmation"])
    kwargs = requests.check_operation(op, kwargs, from_kernel=True)
    note_id = str(kwargs["note_id"])
    if op == "return_note" and not str(kwargs.get("comment") or "").strip():
        raise InvalidInput(["say what needs changing: a returned note needs a comment"])
    if op == "add_addendum" and not str(kwargs.get("text") or "").strip():
        raise InvalidInput(["an addendum needs some text"])
    note = get_note(session, note_id)
    chart_code = session.get_record(note.patient_id).content.get("chart_code")
    return {
        "action": CONFIRMED[op],
        "chart_code": str(chart_code or ""),
        "form": note.form,
        "session_date": note.session_date,
    }


def run(session: Session, op: str, kwargs: dict[str, Any]) -> Any:
    """Run one operation (clinic settings come from the vault). Its arguments are checked
    against its declaration (:mod:`~kap_notes.service.requests`) first: a bad request is one
    :class:`InvalidInput` listing every problem, and nothing reaches the vault."""
    operation = OPERATIONS.get(op)
    if operation is None:
        raise InvalidInput([f"unknown operation {op!r}"])
    return operation(session, **requests.check_operation(op, kwargs))


def error_payload(exc: Exception) -> dict[str, Any]:
    """How an error travels as JSON: its stable ``code``, type name, the clinician-facing
    message and its fields (``problems``, ``issues``, ...; see :mod:`kap_notes.errors`).
    Anything else is a bug: ``internal_error``."""
    if isinstance(exc, KapError):
        return exc.payload()
    return {"code": KapError.code, "type": type(exc).__name__, "message": str(exc)}


def is_domain_error(exc: Exception) -> bool:
    """Errors a clinician can act on: the :class:`~kap_notes.errors.KapError` tree (anything
    else is a bug)."""
    return isinstance(exc, KapError)
