"""Clinic settings through the REST API and the vault's contents manager (issue 10, observation 3):
``GET/POST /kap-notes/api/settings`` read and write the vault's signed settings (admins only), and
opening ``kap-vault/<chart>/progress.ipynb`` compiles under them instead of the defaults."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from kap_notes.compile.compiled import read_compiled
from kap_notes.service import lifecycle
from kap_notes.service import settings as clinic_settings
from kap_notes.service.synthetic import synthetic_course
from tests.conftest import PASSPHRASES, Clinic
from tests.server.api import Fetch, call, failure

BP_FLAG = "Blood pressure 150/70 mmHg"


async def unlock(fetch: Fetch, name: str) -> None:
    await call(fetch, "unlock", {"user": name, "passphrase": PASSPHRASES[name]})


async def test_only_an_admin_changes_clinic_settings_over_rest(jp_fetch: Fetch) -> None:
    # While locked the vault's settings cannot be read
    code, _ = await failure(jp_fetch, "settings", {"systolic_alert_mmhg": 140})
    assert code == 423
    # Given tess (a therapist) unlocked: she reads the defaults, version 0
    await unlock(jp_fetch, "tess")
    shown = await call(jp_fetch, "settings")
    assert (shown["version"], shown["may_change"], shown["changed_by"]) == (0, False, None)
    assert shown["values"]["systolic_alert_mmhg"] == 160
    # When she sends a different threshold (and a new auto-lock in the same body)
    code, error = await failure(
        jp_fetch, "settings", {"systolic_alert_mmhg": 140, "auto_lock_minutes": 3}
    )
    # Then it is a 403 saying who may, and nothing at all was applied
    assert code == 403
    assert "changed by an admin; tess is a therapist" in error["error"]
    status = await call(jp_fetch, "status")
    assert status["auto_lock_minutes"] == 15
    assert (await call(jp_fetch, "settings"))["version"] == 0
    # Values equal to those in force (JupyterLab's defaults) are no error and sign nothing
    same = await call(jp_fetch, "settings", {"systolic_alert_mmhg": 160, "auto_lock_minutes": 9})
    assert (same["auto_lock_minutes"], same["clinic_settings"]["changed"]) == (9, False)
    # When ada (the admin) sends the threshold, it is signed into the vault as version 1
    await unlock(jp_fetch, "ada")
    done = await call(jp_fetch, "settings", {"systolic_alert_mmhg": 140})
    assert (done["clinic_settings"]["changed"], done["clinic_settings"]["version"]) == (True, 1)
    shown = await call(jp_fetch, "settings")
    assert (shown["version"], shown["changed_by"], shown["may_change"]) == (1, "ada", True)
    assert shown["values"]["systolic_alert_mmhg"] == 140
    assert shown["changed_at"]
    # and every kernel's operations see it
    assert (await call(jp_fetch, "ops/clinic_settings", {}))["systolic_alert_mmhg"] == 140


async def test_opening_progress_notebook_keeps_the_clinic_flag(
    jp_fetch: Fetch, clinic: Clinic
) -> None:
    # Given a clinic threshold of 140 set by the admin in the vault
    clinic_settings.change(clinic.admin, {"systolic_alert_mmhg": 140})
    # and a BP 150 dosing draft (every other reading below 140)
    course = synthetic_course(12, start=dt.date(2026, 6, 1))
    tess = clinic.unlock("tess")
    patient = tess.create_patient(course.profile)
    prep = lifecycle.save_draft(tess, patient, "preparation", course.steps[0].answers)
    lifecycle.sign_note(tess, prep.ref.note_id, PASSPHRASES["tess"])
    dosing: dict[str, Any] = dict(course.steps[2].answers)
    dosing["vitals"] = [
        {**row, "systolic": s, "diastolic": 70}
        for row, s in zip(dosing["vitals"], [120, 150, 130, 120], strict=False)
    ]
    await unlock(jp_fetch, "tess")
    saved = await call(
        jp_fetch, "ops/save_draft", {"patient_id": patient, "form": "dosing", "answers": dosing}
    )
    note = await call(jp_fetch, "ops/get_note", {"note_id": saved["note_id"]})
    assert any(BP_FLAG in f["message"] for f in note["flags"])
    compiled = await call(jp_fetch, "ops/compile_patient", {"patient_id": patient})
    # When tess opens the progress notebook in JupyterLab (the contents manager)
    response = await jp_fetch("api", "contents", *compiled["path"].split("/"))
    opened = json.dumps(json.loads(response.body)["content"])
    # Then it shows the flag, and the notebook stored in the vault still does (not recompiled
    # with default thresholds over the top of it)
    assert BP_FLAG in opened
    stored = read_compiled(clinic.unlock("tess"), patient)
    assert stored is not None
    assert BP_FLAG in stored
