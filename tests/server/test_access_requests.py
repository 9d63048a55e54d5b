"""Access requests answered through the REST API (issue 9: no silent grants; break-glass use told
to the treating therapist at unlock), through a real jupyter_server with a real vault."""

from __future__ import annotations

from typing import Any

import pytest

from kap_notes.agent.keyholder import KeyHolder
from kap_notes.model.people import Role
from kap_notes.service.patients import register_patient
from kap_notes.vault import access
from kap_notes.vault.crypto import FAST_KDF
from tests.conftest import PASSPHRASES, Clinic, synthetic_patient
from tests.server.api import Fetch, call, failure


@pytest.fixture
def patient(clinic: Clinic) -> str:
    """A patient of tess's (Synthetic Person 3), registered through the vault API."""
    tess = clinic.unlock("tess")
    registered = register_patient(tess, {**synthetic_patient(3), "chart_code": "KAP-7Q2M"})
    tess.vault.close()
    return registered.patient_id


async def unlock(fetch: Fetch, name: str) -> dict[str, Any]:
    status: dict[str, Any] = await call(
        fetch, "unlock", {"user": name, "passphrase": PASSPHRASES[name]}
    )
    assert (status["unlocked"], status["user"]) == (True, name)
    return status


async def test_admin_asks_tess_sees_who_and_for_whom_and_approves(
    jp_fetch: Fetch, clinic: Clinic, patient: str
) -> None:
    # Given ada (admin) asks, over REST, for theo to get access to tess's patient
    await unlock(jp_fetch, "ada")
    asked = await call(jp_fetch, "ops/request_access", {"patient_id": patient, "user": "theo"})
    assert asked["state"] == "pending"
    # Then theo still cannot read the patient
    await unlock(jp_fetch, "theo")
    code, _ = await failure(jp_fetch, "ops/list_notes", {"patient_id": patient})
    assert code in (403, 404)
    assert patient not in {p["patient_id"] for p in await call(jp_fetch, "ops/list_patients", {})}
    # And theo, not the treating therapist, cannot approve for himself or anyone
    code, error = await failure(
        jp_fetch, "ops/approve_access", {"patient_id": patient, "user": "theo"}
    )
    assert code == 403
    assert "treating therapist" in error["error"]

    # When tess lists what waits for her
    await unlock(jp_fetch, "tess")
    waiting = await call(jp_fetch, "ops/access_requests", {})
    # Then she sees who asked, for whom, and which patient by chart code and name
    assert waiting["requests"] == [
        {
            "patient_id": patient,
            "chart_code": "KAP-7Q2M",
            "patient_name": "Synthetic Person 3",
            "user": "theo",
            "requested_by": "ada",
        }
    ]
    counted = await call(jp_fetch, "ops/access_requests", {"names": False})
    assert [(r["user"], r["chart_code"]) for r in counted["requests"]] == [("theo", "")]

    # When tess approves
    answer = await call(jp_fetch, "ops/approve_access", {"patient_id": patient, "user": "theo"})
    assert answer == {
        "patient_id": patient,
        "chart_code": "KAP-7Q2M",
        "user": "theo",
        "state": "granted",
    }
    assert (await call(jp_fetch, "ops/access_requests", {}))["requests"] == []
    # Then theo can open the patient
    await unlock(jp_fetch, "theo")
    assert await call(jp_fetch, "ops/list_notes", {"patient_id": patient}) == []
    listed = {
        p["patient_id"]: p["chart_code"] for p in await call(jp_fetch, "ops/list_patients", {})
    }
    assert listed[patient] == "KAP-7Q2M"


async def test_a_supervisor_reading_the_patient_cannot_approve(
    jp_fetch: Fetch, clinic: Clinic, patient: str
) -> None:
    # Given theo asks for himself, and sam (tess's supervisor, who reads the patient) tries
    theo = clinic.unlock("theo")
    access.request_grant(theo, patient, "theo")
    await unlock(jp_fetch, "sam")
    code, error = await failure(
        jp_fetch, "ops/approve_access", {"patient_id": patient, "user": "theo"}
    )
    # Then only the treating therapist may answer
    assert code == 403
    assert "treating therapist" in error["error"]
    code, _ = await failure(jp_fetch, "ops/deny_access", {"patient_id": patient, "user": "theo"})
    assert code == 403
    # And the request still waits for tess
    tess = clinic.unlock("tess")
    assert [(r.user_name, r.requested_by) for r in access.pending_requests(tess)] == [
        ("theo", "theo")
    ]


async def test_tess_denies_and_theo_gets_nothing(
    jp_fetch: Fetch, clinic: Clinic, patient: str
) -> None:
    theo = clinic.unlock("theo")
    access.request_grant(theo, patient, "theo")
    await unlock(jp_fetch, "tess")
    answer = await call(jp_fetch, "ops/deny_access", {"patient_id": patient, "user": "theo"})
    assert (answer["state"], answer["chart_code"]) == ("denied", "KAP-7Q2M")
    assert (await call(jp_fetch, "ops/access_requests", {}))["requests"] == []
    await unlock(jp_fetch, "theo")
    code, _ = await failure(jp_fetch, "ops/list_notes", {"patient_id": patient})
    assert code in (403, 404)


async def test_bad_input_is_a_clear_422(jp_fetch: Fetch, clinic: Clinic, patient: str) -> None:
    await unlock(jp_fetch, "tess")
    code, error = await failure(jp_fetch, "ops/approve_access", {"patient_id": patient})
    assert code == 422
    assert "user" in error["error"]
    code, error = await failure(jp_fetch, "ops/approve_access", {"patient_id": patient, "user": ""})
    assert code == 422
    assert "user is required" in error["error"]
    # Nobody approves access for themself
    code, error = await failure(
        jp_fetch, "ops/approve_access", {"patient_id": patient, "user": "tess"}
    )
    assert code == 403
    assert "themself" in error["error"]


async def test_tess_accepts_a_proposed_supervisor(
    jp_fetch: Fetch, clinic: Clinic, patient: str
) -> None:
    # Given ada proposes a second supervisor for tess
    access.add_user(clinic.admin, "sue", Role.SUPERVISOR, "sue synthetic passphrase")
    access.assign_supervisor(clinic.admin, "sue", "tess")
    await unlock(jp_fetch, "tess")
    # Then tess sees the proposal and accepts it
    assert (await call(jp_fetch, "ops/access_requests", {}))["proposed_supervisors"] == ["sue"]
    accepted = await call(jp_fetch, "ops/accept_supervisor", {"supervisor": "sue"})
    assert accepted == {"supervisor": "sue", "patients": 1}
    assert (await call(jp_fetch, "ops/access_requests", {}))["proposed_supervisors"] == []
    # And accepting someone nobody proposed is refused
    code, error = await failure(jp_fetch, "ops/accept_supervisor", {"supervisor": "sam"})
    assert code == 403
    assert "no admin proposed" in error["error"]


async def test_unlock_tells_tess_about_break_glass_and_wrong_passphrases(
    jp_fetch: Fetch, clinic: Clinic, patient: str
) -> None:
    # Given a quiet unlock tells nothing
    status = await unlock(jp_fetch, "tess")
    assert (status["notices"], status["failed_attempts"]) == ([], 0)
    await call(jp_fetch, "lock", {})
    # When theo uses break-glass on tess's patient and someone mistypes tess's passphrase twice
    theo = clinic.unlock("theo")
    access.break_glass(theo, clinic.break_glass_code, patient, "synthetic emergency, on call")
    for _ in range(2):
        code, _ = await failure(jp_fetch, "unlock", {"user": "tess", "passphrase": "wrong one"})
        assert code == 403
    # Then tess's unlock answer tells her both, the patient by chart code and name
    status = await unlock(jp_fetch, "tess")
    assert status["failed_attempts"] == 2
    assert status["notices"][0].startswith("2 wrong passphrases for tess since your last unlock")
    (glass,) = status["notices"][1:]
    assert "theo used break-glass access to patient KAP-7Q2M (Synthetic Person 3)" in glass
    assert patient not in glass
    # And the status poll carries them while unlocked; locking clears them
    assert (await call(jp_fetch, "status"))["notices"] == status["notices"]
    locked = await call(jp_fetch, "lock", {})
    assert (locked["notices"], locked["failed_attempts"]) == ([], 0)


async def test_the_badge_counts_what_waits_without_deferring_auto_lock(
    jp_fetch: Fetch, clinic: Clinic, patient: str
) -> None:
    # Given theo asked for access and ada proposed a second supervisor for tess
    access.request_grant(clinic.unlock("theo"), patient, "theo")
    access.add_user(clinic.admin, "sue", Role.SUPERVISOR, "sue synthetic passphrase")
    access.assign_supervisor(clinic.admin, "sue", "tess")
    # Then the badge route counts nothing while locked, and both once tess unlocks
    assert await call(jp_fetch, "waiting") == {"requests": 0, "proposed_supervisors": 0}
    await unlock(jp_fetch, "tess")
    assert await call(jp_fetch, "waiting") == {"requests": 1, "proposed_supervisors": 1}
    await unlock(jp_fetch, "theo")
    assert await call(jp_fetch, "waiting") == {"requests": 0, "proposed_supervisors": 0}


def test_polling_the_badge_is_not_activity(clinic: Clinic) -> None:
    now = [1000.0]
    holder = KeyHolder(
        str(clinic.path), auto_lock_minutes=15, kdf_floor=FAST_KDF, clock=lambda: now[0]
    )
    holder.unlock("tess", PASSPHRASES["tess"])
    now[0] += 600
    holder.waiting()
    assert holder.status()["seconds_to_lock"] == 300
    now[0] += 301
    assert holder.waiting() == {"requests": 0, "proposed_supervisors": 0}
    holder.check_idle()
    assert holder.status()["unlocked"] is False
