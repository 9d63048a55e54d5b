"""FHIR names clinicians as their signatures do and gives session times in the clinic's zone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kap_notes.export.fhir import export_fhir_bundle
from kap_notes.model.people import Role
from kap_notes.service import lifecycle
from kap_notes.service import settings as clinic_settings
from kap_notes.service.patients import add_patient
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault import access
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.vault import Vault

PASS = {"ada": "ada passphrase 12", "tess": "tess passphrase 12"}


def test_practitioner_names_and_clinic_time_zone(tmp_path: Path) -> None:
    created = Vault.init(
        tmp_path / "vault",
        admin_name="ada",
        admin_passphrase=PASS["ada"],
        kdf=FAST_KDF,
        kdf_floor=FAST_KDF,
    )
    access.add_user(
        created.admin,
        "tess",
        Role.THERAPIST,
        PASS["tess"],
        display_name="Tess Synthetic",
        credentials="LCSW",
    )
    clinic_settings.change(created.admin, {"clinic_time_zone": "America/New_York"})
    tess = created.vault.unlock("tess", PASS["tess"])
    course = synthetic_course(2, start=dt.date(2026, 1, 5))
    patient = add_patient(tess, course.profile)
    saved = lifecycle.save_draft(tess, patient, "preparation", course.steps[0].answers)
    lifecycle.sign_note(tess, saved.ref.note_id, PASS["tess"])

    bundle = export_fhir_bundle(tess, patient)
    resources = [e["resource"] for e in bundle["entry"]]
    names = [r["name"][0]["text"] for r in resources if r["resourceType"] == "Practitioner"]
    assert names == ["Tess Synthetic, LCSW"]
    response = next(r for r in resources if r["resourceType"] == "QuestionnaireResponse")
    typed = course.steps[0].answers["session_datetime"]  # wall-clock time at the clinic
    # January in New York is UTC-5: the typed time is exported with the clinic's offset.
    assert f"{typed}:00-05:00" in _values(response["item"], "valueDateTime")


def _values(items: list[dict[str, object]], kind: str) -> list[object]:
    found: list[object] = []
    for item in items:
        for answer in item.get("answer", []):  # type: ignore[attr-defined]
            if kind in answer:
                found.append(answer[kind])
            found += _values(answer.get("item", []), kind)
        found += _values(item.get("item", []), kind)  # type: ignore[arg-type]
    return found
