"""A recorded synthetic course (real vault, real signatures) shared by the export tests."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import pypdf
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

ADDENDUM = "Addendum: synthetic patient phoned the next day, resting well."
RETURN_COMMENT = "Please document the discharge vitals."
PROCESS_TEXT = "Synthetic process reflection: protective urge noticed."


@dataclass
class Recorded:
    """One synthetic patient: a signed course, an addendum, a co-sign, a return, a process note."""

    path: Path
    tess: Session
    sam: Session
    patient_id: str
    note_ids: list[str]
    course: Course
    cosigned: str
    returned: str
    addended: str
    process_note: str

    def unlock(self, name: str) -> Session:
        return Vault.open(self.path, kdf_floor=FAST_KDF).unlock(name, PASSPHRASES[name])


@pytest.fixture(scope="package")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    path = tmp_path_factory.mktemp("export") / "vault"
    created = Vault.init(
        path,
        admin_name="ada",
        admin_passphrase=PASSPHRASES["ada"],
        kdf=FAST_KDF,
        kdf_floor=FAST_KDF,
    )
    access.add_user(created.admin, "tess", Role.THERAPIST, PASSPHRASES["tess"])
    access.add_user(created.admin, "sam", Role.SUPERVISOR, PASSPHRASES["sam"])
    access.assign_supervisor(created.admin, "sam", "tess")
    tess = created.vault.unlock("tess", PASSPHRASES["tess"])
    access.accept_supervisor(tess, "sam")
    course = synthetic_course(3, start=dt.date(2026, 1, 5))
    patient_id, note_ids = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    lifecycle.add_addendum(tess, note_ids[2], ADDENDUM, passphrase=PASSPHRASES["tess"])
    process = lifecycle.save_draft(
        tess,
        patient_id,
        "process-note",
        {
            "session_datetime": course.steps[2].answers["session_datetime"],
            "process_note": PROCESS_TEXT,
        },
    )
    sam = created.vault.unlock("sam", PASSPHRASES["sam"])
    review.cosign(sam, note_ids[2], passphrase=PASSPHRASES["sam"])
    review.return_note(sam, note_ids[3], RETURN_COMMENT, passphrase=PASSPHRASES["sam"])
    return Recorded(
        path,
        tess,
        sam,
        patient_id,
        note_ids,
        course,
        cosigned=note_ids[2],
        returned=note_ids[3],
        addended=note_ids[2],
        process_note=process.ref.note_id,
    )


def open_pdf(data: bytes, passphrase: str) -> pypdf.PdfReader:
    """A reader for a protected PDF, decrypted with ``passphrase`` (asserts it works)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.is_encrypted
    assert reader.decrypt(passphrase) == pypdf.PasswordType.USER_PASSWORD
    return reader


def page_texts(reader: pypdf.PdfReader) -> list[str]:
    """Each page's text with runs of whitespace collapsed."""
    return [" ".join(page.extract_text().split()) for page in reader.pages]
