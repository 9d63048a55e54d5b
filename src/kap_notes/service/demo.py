"""A demo clinic with synthetic people only: users, patients and a signed course of notes each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from kap_notes.model.people import Role
from kap_notes.service import lifecycle, patients, review
from kap_notes.service.synthetic import Course, synthetic_course
from kap_notes.vault import access
from kap_notes.vault.crypto import DEFAULT_KDF, MINIMUM_KDF, KdfParams
from kap_notes.vault.session import Session
from kap_notes.vault.vault import Vault

#: Demo users and their passphrases — printed by the demo, never used for real data.
DEMO_USERS = {
    "ada": (Role.ADMIN, "ada-demo-passphrase"),
    "tess": (Role.THERAPIST, "tess-demo-passphrase"),
    "theo": (Role.THERAPIST, "theo-demo-passphrase"),
    "sam": (Role.SUPERVISOR, "sam-demo-passphrase"),
}
#: Synthetic display names and credentials, shown beside signatures.
DEMO_PEOPLE = {
    "tess": ("Tess Taylor", "LCSW"),
    "theo": ("Theo Tran", "LMFT"),
    "sam": ("Sam Serrano", "MD"),
}


@dataclass
class DemoClinic:
    """What :func:`create_demo` made."""

    location: str
    break_glass_code: str
    recovery_codes: dict[str, str]
    patients: dict[str, list[str]] = field(default_factory=dict)
    returned_note: str | None = None


def record_course(session: Session, course: Course, *, passphrase: str) -> tuple[str, list[str]]:
    """Register the course's patient and save (and sign) each note. Returns (patient, note ids)."""
    patient_id = patients.add_patient(session, course.profile)
    note_ids: list[str] = []
    last_dosing: str | None = None
    for step in course.steps:
        answers = dict(step.answers)
        if step.link_to_previous_dosing and last_dosing:
            answers["linked_dosing_note_id"] = last_dosing
        saved = lifecycle.save_draft(session, patient_id, step.form, answers)
        if step.sign:
            lifecycle.sign_note(session, saved.ref.note_id, passphrase)
        if step.form == "dosing":
            last_dosing = saved.ref.note_id
        note_ids.append(saved.ref.note_id)
    return patient_id, note_ids


def create_demo(
    location: str | Path,
    *,
    kdf: KdfParams = DEFAULT_KDF,
    kdf_floor: KdfParams = MINIMUM_KDF,
    patient_count: int = 12,
) -> DemoClinic:
    """Create the demo vault at ``location`` (which must not hold a vault yet)."""
    _, admin_pass = DEMO_USERS["ada"]
    created = Vault.init(
        location, admin_name="ada", admin_passphrase=admin_pass, kdf=kdf, kdf_floor=kdf_floor
    )
    clinic = DemoClinic(str(location), created.break_glass_code, {"ada": created.recovery_code})
    for name, (role, passphrase) in DEMO_USERS.items():
        if name != "ada":
            display_name, credentials = DEMO_PEOPLE[name]
            _, clinic.recovery_codes[name] = access.add_user(
                created.admin,
                name,
                role,
                passphrase,
                display_name=display_name,
                credentials=credentials,
            )
    access.assign_supervisor(created.admin, "sam", "tess")
    access.assign_supervisor(created.admin, "sam", "theo")
    sessions = {n: created.vault.unlock(n, DEMO_USERS[n][1]) for n in ("tess", "theo", "sam")}
    for therapist in ("tess", "theo"):
        access.accept_supervisor(sessions[therapist], "sam")
    for index in range(patient_count):
        therapist = "tess" if index % 2 == 0 else "theo"
        course = synthetic_course(
            index + 1,
            start=dt.date(2026, 1, 5) + dt.timedelta(weeks=index),
            improving=index % 4 != 3,
        )
        patient_id, note_ids = record_course(
            sessions[therapist], course, passphrase=DEMO_USERS[therapist][1]
        )
        clinic.patients.setdefault(therapist, []).append(patient_id)
        _supervise(sessions["sam"], note_ids, index, clinic)
        if index == 0:
            lifecycle.add_addendum(
                sessions[therapist],
                note_ids[2],
                "Addendum: patient called next day, feeling well.",
                passphrase=DEMO_USERS[therapist][1],
            )
            lifecycle.save_draft(
                sessions[therapist],
                patient_id,
                "process-note",
                {
                    "session_datetime": course.steps[2].answers["session_datetime"],
                    "process_note": "Countertransference: protective urge; bring to supervision.",
                },
            )
    return clinic


SAM_PASSPHRASE = DEMO_USERS["sam"][1]


def _supervise(sam: Session, note_ids: list[str], index: int, clinic: DemoClinic) -> None:
    """Sam co-signs most of the course, leaves the newest notes in the queue, returns one."""
    keep_waiting = 3 if index % 3 == 0 else 0
    for position, note_id in enumerate(note_ids[: len(note_ids) - keep_waiting]):
        if index == 1 and position == 3 and clinic.returned_note is None:
            review.return_note(
                sam, note_id, "Please document the vitals at discharge.", passphrase=SAM_PASSPHRASE
            )
            clinic.returned_note = note_id
        else:
            review.cosign(sam, note_id, passphrase=SAM_PASSPHRASE)
