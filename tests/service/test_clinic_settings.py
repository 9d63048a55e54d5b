"""Issue 10 observation 3: clinic settings live in the vault (signed, versioned, admin-only) and
every path uses them: save_draft, note get, compile, the PDF and the CLI; a signed note keeps the
flags and the settings version it was signed under.

Given a clinic threshold of 140 mmHg set by the admin in the vault, a BP 150 dosing draft (every
other reading below 140) is flagged everywhere; under the default 160 it would not be.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest

from kap_notes.compile import compile_patient
from kap_notes.export import export_note_pdf
from kap_notes.forms import ClinicSettings
from kap_notes.model.patient import InvalidInput
from kap_notes.service import lifecycle, operations
from kap_notes.service import settings as clinic_settings
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault.errors import NotAuthorised, UnknownRecord
from kap_notes.vault.session import Session
from tests.cli_runner import Cli
from tests.conftest import PASSPHRASES, Clinic
from tests.export.conftest import open_pdf, page_texts

BP_FLAG = "Blood pressure 150/70 mmHg"


@dataclass
class Scene:
    clinic: Clinic
    tess: Session
    patient: str
    dosing: dict[str, Any]  # dosing answers: one reading of 150/70, the others below 140/100


def bp_flags(flags: list[dict[str, Any]]) -> list[str]:
    return [str(f["message"]) for f in flags if BP_FLAG in str(f.get("message"))]


@pytest.fixture
def scene(clinic: Clinic) -> Scene:
    tess = clinic.vault.unlock("tess", PASSPHRASES["tess"])
    course = synthetic_course(10, start=dt.date(2026, 6, 1))
    patient = tess.create_patient(course.profile)
    prep = lifecycle.save_draft(tess, patient, "preparation", course.steps[0].answers)
    lifecycle.sign_note(tess, prep.ref.note_id, PASSPHRASES["tess"])
    dosing = dict(course.steps[2].answers)
    dosing["vitals"] = [
        {**row, "systolic": systolic, "diastolic": 70}
        for row, systolic in zip(dosing["vitals"], [120, 150, 130, 120], strict=False)
    ]
    return Scene(clinic, tess, patient, dosing)


def set_systolic(clinic: Clinic, value: int) -> clinic_settings.ClinicSettingsInfo:
    info, changed = clinic_settings.change(clinic.admin, {"systolic_alert_mmhg": value})
    assert changed
    return info


def test_defaults_are_version_0_and_each_admin_change_signs_the_next(clinic: Clinic) -> None:
    tess = clinic.vault.unlock("tess", PASSPHRASES["tess"])
    assert tess.clinic_settings() == (ClinicSettings(), 0)
    first = set_systolic(clinic, 140)
    assert (first.version, first.changed_by, first.settings.systolic_alert_mmhg) == (1, "ada", 140)
    # the same values again sign nothing
    again, changed = clinic_settings.change(clinic.admin, {"systolic_alert_mmhg": 140})
    assert (again.version, changed) == (1, False)
    set_systolic(clinic, 150)
    # another user's long-lived session sees the newest version at once, and every earlier one
    assert tess.clinic_settings()[0].systolic_alert_mmhg == 150
    assert tess.clinic_settings(1) == (first.settings, 1)
    assert [i.settings.systolic_alert_mmhg for i in clinic_settings.history(tess)] == [140, 150]
    with pytest.raises(UnknownRecord):
        tess.clinic_settings(3)
    # every change is an audited entry signed by the admin
    actions = [(r.action, r.actor) for r in clinic.vault.store.audit_rows()]
    assert actions.count(("settings", clinic.admin.user_id)) == 2


def test_only_an_admin_changes_clinic_settings_and_bad_values_write_nothing(
    clinic: Clinic,
) -> None:
    tess = clinic.vault.unlock("tess", PASSPHRASES["tess"])
    with pytest.raises(NotAuthorised, match="changed by an admin; tess is a therapist"):
        clinic_settings.change(tess, {"systolic_alert_mmhg": 140})
    with pytest.raises(NotAuthorised):  # the vault layer refuses too, whoever calls it
        tess.set_clinic_settings(ClinicSettings(systolic_alert_mmhg=140).as_mapping())
    for bad in ({"systolic_alert_mmhg": 20}, {"colour": 1}, {"auto_lock_minutes": 5}):
        with pytest.raises(InvalidInput):
            clinic_settings.change(clinic.admin, bad)
    with pytest.raises(InvalidInput, match="must be below"):  # diastolic below systolic
        clinic_settings.change(
            clinic.admin, {"systolic_alert_mmhg": 140, "diastolic_alert_mmhg": 150}
        )
    assert tess.clinic_settings() == (ClinicSettings(), 0)


def test_observation_3_every_path_flags_bp_150_under_a_clinic_threshold_of_140(
    scene: Scene, tmp_path: Any
) -> None:
    tess, patient = scene.tess, scene.patient
    # Given the admin sets the clinic threshold to 140 in the vault
    set_systolic(scene.clinic, 140)
    # When tess saves a BP 150 draft
    saved = lifecycle.save_draft(tess, patient, "dosing", scene.dosing)
    note_id = saved.ref.note_id
    # Then save_draft flags it
    assert bp_flags([f.as_dict() for f in saved.assessment.flags])
    # and note get (service operation, the same for REST and kernels) flags it
    details = operations.run(tess, "get_note", {"note_id": note_id})
    assert bp_flags(details["flags"])
    assert details["derived_from"]["settings_version"] == 1
    # and so do the compiled notebook and the PDF
    notebook = compile_patient(tess, patient).notebook_json
    assert BP_FLAG in notebook
    export = export_note_pdf(tess, note_id)
    assert BP_FLAG in " ".join(page_texts(open_pdf(export.pdf, export.passphrase)))
    # and the command line
    cli = Cli(scene.clinic.path)
    shown = cli("note", "get", note_id, user="tess", passphrase=PASSPHRASES["tess"]).stdout
    assert BP_FLAG in shown
    out = cli("settings", "show", "--json", user="tess", passphrase=PASSPHRASES["tess"]).stdout
    assert (json.loads(out)["values"]["systolic_alert_mmhg"], json.loads(out)["version"]) == (
        140,
        1,
    )
    # while the default threshold (160) would not have flagged it: the vault's setting decided
    default = lifecycle.note_details(tess, note_id, ClinicSettings(), 0)
    assert bp_flags(default.derived.flags) == []


def test_a_note_signed_under_v1_keeps_its_flags_after_v2(scene: Scene) -> None:
    tess, patient = scene.tess, scene.patient
    set_systolic(scene.clinic, 140)
    saved = lifecycle.save_draft(tess, patient, "dosing", scene.dosing)
    lifecycle.sign_note(tess, saved.ref.note_id, PASSPHRASES["tess"])
    # When the admin raises the threshold above every reading (version 2)
    set_systolic(scene.clinic, 200)
    # Then the signed note still shows the flag it was signed with, and says which version
    signed = lifecycle.note_details(tess, saved.ref.note_id)
    assert signed.derived.frozen
    assert bp_flags(signed.derived.flags)
    assert signed.derived.settings_version == 1
    assert clinic_settings.at_version(tess, 1).settings.systolic_alert_mmhg == 140
    # while a new draft with the same readings is assessed under version 2: no flag
    later = {**scene.dosing, "session_datetime": "2026-06-18T09:15"}
    draft = lifecycle.save_draft(tess, patient, "dosing", later)
    assert bp_flags([f.as_dict() for f in draft.assessment.flags]) == []
    assert lifecycle.note_details(tess, draft.ref.note_id).derived.settings_version == 2


def test_cli_settings_set_is_for_admins(clinic: Clinic) -> None:
    cli = Cli(clinic.path)
    refused = cli(
        "settings", "set", "systolic_alert_mmhg=140",
        user="tess", passphrase=PASSPHRASES["tess"], ok=False,
    )  # fmt: skip
    assert "changed by an admin" in refused.stderr
    done = cli(
        "settings", "set", "systolic_alert_mmhg=140", "spo2_alert_below_percent=90",
        user="ada", passphrase=PASSPHRASES["ada"],
    )  # fmt: skip
    assert "Signed a new version" in done.stdout
    assert "Flag systolic BP at or above (mmHg): 140 (clinic setting)" in done.stdout
    shown = cli("settings", "history", user="tess", passphrase=PASSPHRASES["tess"]).stdout
    assert "Clinic settings version 1 (set by ada" in shown
    tess = clinic.vault.unlock("tess", PASSPHRASES["tess"])
    settings, version = tess.clinic_settings()
    assert (settings.systolic_alert_mmhg, settings.spo2_alert_below_percent, version) == (
        140,
        90,
        1,
    )
