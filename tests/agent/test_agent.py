"""One unlock serves every kernel; locking drops the keys everywhere; forms keep what was typed."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest

from kap_notes.service import settings as clinic_settings
from kap_notes.service.backend import Backend
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault.errors import VaultLocked, WrongPassphrase
from kap_notes.widgets.session_form import open_form
from tests.agent.conftest import FakeDialog, RunningAgent
from tests.conftest import PASSPHRASES, Clinic


def test_socket_is_private_and_locked_until_unlock(agent: RunningAgent) -> None:
    mode = stat.S_IMODE(os.stat(agent.server.path).st_mode)
    assert mode == 0o600
    backend = Backend(agent.transport)
    assert backend.locked()
    with pytest.raises(VaultLocked, match="unlock it in JupyterLab"):
        backend.list_patients()
    with pytest.raises(WrongPassphrase):
        agent.holder.unlock("tess", "wrong passphrase!")
    agent.holder.unlock("tess", PASSPHRASES["tess"])
    assert backend.status()["user"] == "tess"
    assert backend.list_patients() == []


def test_form_through_the_agent_saves_signs_and_survives_a_lock(agent: RunningAgent) -> None:
    agent.holder.unlock("tess", PASSPHRASES["tess"])
    kernel_a, kernel_b = Backend(agent.transport), Backend(type(agent.transport)(agent.server.path))
    course = synthetic_course(7, start=dt.date(2026, 6, 1))
    patient = kernel_a.add_patient(course.profile)
    prep = open_form("preparation", patient=patient, backend=kernel_a)
    assert prep.view is not None
    prep.view.value = course.steps[0].answers
    assert prep.view.save_draft() is not None
    with FakeDialog(agent.holder, [PASSPHRASES["tess"]]) as dialog:
        assert prep.view.sign() is not None
    assert "Signed" in prep.view.status_text
    assert dialog.seen[0]["action"] == "sign"
    assert dialog.seen[0]["form"] == "preparation"
    assert dialog.seen[0]["chart_code"] == course.profile["chart_code"]
    # a second kernel of the same server sees it without unlocking again
    dosing = open_form("dosing", patient=patient, backend=kernel_b)
    assert dosing.view is not None
    dosing.view.value = course.steps[2].answers
    weight, dose = course.steps[0].answers["weight_kg"], course.steps[2].answers["dose_mg"]
    assert dosing.view.computed["dose_mg_per_kg"] == pytest.approx(round(dose / weight, 2))
    typed = dosing.view.value
    # locking drops the keys for every kernel; the form says so and keeps what was typed
    agent.holder.lock()
    outcome = dosing.view.save_draft()
    assert outcome is not None
    assert not outcome.ok
    assert "locked" in dosing.view.status_text
    assert dosing.view.value == typed
    agent.holder.unlock("tess", PASSPHRASES["tess"])
    outcome = dosing.view.save_draft()
    assert outcome is not None
    assert outcome.ok
    notes = kernel_a.list_notes(patient)
    assert [n["form"] for n in notes] == ["preparation", "dosing"]
    assert [n["status"] for n in notes] == ["signed", "draft"]


def test_idle_lock_drops_the_session(agent: RunningAgent) -> None:
    now = [0.0]
    agent.holder._clock = lambda: now[0]
    agent.holder.unlock("tess", PASSPHRASES["tess"])
    agent.holder.auto_lock_minutes = 1
    now[0] = 59
    assert not agent.holder.check_idle()
    backend = Backend(agent.transport)
    assert backend.status()["seconds_to_lock"] == 1  # polling the status is not activity
    backend.list_patients()  # real use is
    assert backend.status()["seconds_to_lock"] == 60
    now[0] = 59 + 61
    assert agent.holder.check_idle()
    with pytest.raises(VaultLocked):
        Backend(agent.transport).list_patients()


def test_wrong_passphrase_when_signing_keeps_the_note_a_draft(agent: RunningAgent) -> None:
    agent.holder.unlock("tess", PASSPHRASES["tess"])
    backend = Backend(agent.transport)
    course = synthetic_course(8, start=dt.date(2026, 6, 1))
    patient = backend.add_patient(course.profile)
    form = open_form("intention", patient=patient, backend=backend)
    assert form.view is not None
    form.view.value = course.steps[1].answers
    with FakeDialog(agent.holder, ["not the passphrase", "still not it", "nor this"]) as dialog:
        outcome = form.view.sign()
    assert dialog.refused == 3
    assert outcome is not None
    assert not outcome.ok
    assert "wrong passphrases: cancelled" in outcome.message
    assert [n["status"] for n in backend.list_notes(patient)] == ["draft"]
    assert form.view.value == course.steps[1].answers


def test_kernel_api_goes_through_the_agent(
    agent: RunningAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kap_notes import api  # noqa: PLC0415 - the kernel-side module under test
    from kap_notes.agent import ENV_VAR  # noqa: PLC0415
    from kap_notes.service.demo import record_course  # noqa: PLC0415

    agent.holder.unlock("tess", PASSPHRASES["tess"])
    course = synthetic_course(9, start=dt.date(2026, 6, 1), boosters=0)
    patient, _ = agent.holder.with_session(
        lambda s: record_course(s, course, passphrase=PASSPHRASES["tess"])
    )
    monkeypatch.setenv(ENV_VAR, str(agent.server.path))
    api.use_session(None)
    frames = api.patient_frames(patient)
    assert len(frames["dosing"]) == 6
    assert len(frames["notes"]) == len(course.steps)
    outputs = Backend(agent.transport).call(
        "render_section", patient_id=patient, section="outcomes"
    )
    assert any("image/png" in o["data"] for o in outputs)
    agent.holder.lock()
    with pytest.raises(VaultLocked):
        api.patient_frames(patient)


def test_clinic_thresholds_set_in_the_vault_decide_the_flags(
    agent: RunningAgent, clinic: Clinic
) -> None:
    agent.holder.unlock("tess", PASSPHRASES["tess"])
    backend = Backend(agent.transport)
    course = synthetic_course(10, start=dt.date(2026, 6, 1))
    patient = backend.add_patient(course.profile)
    backend.save_draft(patient, "preparation", course.steps[0].answers)
    dosing = course.steps[2].answers
    peak = max(row["systolic"] for row in dosing["vitals"])
    note = backend.save_draft(patient, "dosing", dosing)["note_id"]

    def bp_flags() -> list[dict[str, object]]:
        return [f for f in backend.get_note(note)["flags"] if "Blood pressure" in f["message"]]

    # Given the default clinic setting (160 mmHg) above every reading: no flag
    assert peak < 160
    assert bp_flags() == []
    # When the clinic's admin sets the threshold just below the peak (signed into the vault)
    clinic_settings.change(clinic.admin, {"systolic_alert_mmhg": peak - 1})
    # Then the note and a form opened in a kernel both flag that reading, for review, at once
    assert len(bp_flags()) >= 1
    assert backend.call("clinic_settings")["systolic_alert_mmhg"] == peak - 1
    form = open_form("dosing", patient=patient, backend=backend)
    assert form.view is not None
    form.view.value = dosing
    assert any("Blood pressure" in f.message for f in form.view.flags)
