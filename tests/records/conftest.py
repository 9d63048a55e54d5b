"""A real vault whose users have display names and credentials, in a New York clinic."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from kap_notes.model.people import Role
from kap_notes.service import lifecycle, review
from kap_notes.service.demo import record_course
from kap_notes.service.synthetic import Course, synthetic_course
from kap_notes.vault import access
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.session import Session
from kap_notes.vault.vault import Vault
from tests.conftest import PASSPHRASES

ZONE = "America/New_York"
TESS = "Tess Taylor, LCSW"
SAM = "Sam Serrano, MD"
ADDENDUM = "Synthetic addendum: phoned next day, resting."


@dataclass
class Labelled:
    path: Path
    tess: Session
    sam: Session
    course: Course
    patient_id: str
    note_ids: list[str]
    dosing_id: str
    cosigned: str


@pytest.fixture(scope="package")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Labelled:
    path = tmp_path_factory.mktemp("labelled") / "vault"
    created = Vault.init(
        path,
        admin_name="ada",
        admin_passphrase=PASSPHRASES["ada"],
        kdf=FAST_KDF,
        kdf_floor=FAST_KDF,
    )
    admin = created.admin
    access.add_user(
        admin,
        "tess",
        Role.THERAPIST,
        PASSPHRASES["tess"],
        display_name="Tess Taylor",
        credentials="LCSW",
    )
    access.add_user(
        admin,
        "sam",
        Role.SUPERVISOR,
        PASSPHRASES["sam"],
        display_name="Sam Serrano",
        credentials="MD",
    )
    access.assign_supervisor(admin, "sam", "tess")
    admin.set_clinic_settings({"clinic_time_zone": ZONE})
    tess = created.vault.unlock("tess", PASSPHRASES["tess"])
    access.accept_supervisor(tess, "sam")
    course = synthetic_course(12, start=dt.date(2026, 1, 5))
    patient_id, note_ids = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    dosing_id = next(n for n, s in zip(note_ids, course.steps, strict=True) if s.form == "dosing")
    lifecycle.add_addendum(tess, dosing_id, ADDENDUM, passphrase=PASSPHRASES["tess"])
    sam = created.vault.unlock("sam", PASSPHRASES["sam"])
    review.cosign(sam, dosing_id, passphrase=PASSPHRASES["sam"])
    return Labelled(path, tess, sam, course, patient_id, note_ids, dosing_id, dosing_id)
