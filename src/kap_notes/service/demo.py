"""A demo clinic with synthetic people only: users, patients and a course of notes each."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kap_notes.model.people import Role
from kap_notes.service import notes, patients
from kap_notes.vault import access
from kap_notes.vault.crypto import DEFAULT_KDF, MINIMUM_KDF, KdfParams
from kap_notes.vault.vault import Vault

#: Demo users and their passphrases — printed by the demo, never used for real data.
DEMO_USERS = {
    "ada": (Role.ADMIN, "ada-demo-passphrase"),
    "tess": (Role.THERAPIST, "tess-demo-passphrase"),
    "theo": (Role.THERAPIST, "theo-demo-passphrase"),
    "sam": (Role.SUPERVISOR, "sam-demo-passphrase"),
}
_FIRST = [
    "Avery",
    "Blake",
    "Casey",
    "Dana",
    "Emery",
    "Finley",
    "Gray",
    "Harper",
    "Indy",
    "Jules",
    "Kai",
    "Lane",
]
_LAST = ["Testperson", "Sampleton", "Fakename", "Demoson", "Mockwell", "Placeholder"]


@dataclass
class DemoClinic:
    """What :func:`create_demo` made."""

    location: str
    break_glass_code: str
    recovery_codes: dict[str, str]
    patients: dict[str, list[str]] = field(default_factory=dict)


def _course(rng: random.Random, start: dt.date, improving: bool) -> list[dict[str, Any]]:
    weight = round(rng.uniform(55, 95), 1)
    phq = rng.randint(16, 24)
    course: list[dict[str, Any]] = [
        {
            "form": "preparation",
            "session_date": start.isoformat(),
            "answers": {"weight_kg": weight, "phq9_total": phq},
        },
        {
            "form": "intention",
            "session_date": (start + dt.timedelta(days=7)).isoformat(),
            "answers": {"intentions": ["Reconnect with what matters"]},
        },
    ]
    day = start + dt.timedelta(days=14)
    for session in range(1, 7):
        dose = round(weight * rng.choice([0.5, 0.6, 0.75]), 0)
        course.append(
            {
                "form": "dosing",
                "session_date": day.isoformat(),
                "answers": {"route": "im", "dose_mg": dose, "session_number": session},
            }
        )
        phq = max(0, phq - (rng.randint(2, 4) if improving else rng.randint(-1, 1)))
        course.append(
            {
                "form": "integration",
                "session_date": (day + dt.timedelta(days=2)).isoformat(),
                "answers": {"phq9_total": phq},
            }
        )
        day += dt.timedelta(days=rng.choice([3, 4]))
    return course


def create_demo(
    location: str | Path, *, kdf: KdfParams = DEFAULT_KDF, kdf_floor: KdfParams = MINIMUM_KDF
) -> DemoClinic:
    """Create the demo vault at ``location`` (which must not hold a vault yet)."""
    rng = random.Random(20261122)  # noqa: S311 - synthetic data, not security
    role, passphrase = DEMO_USERS["ada"]
    created = Vault.init(
        location, admin_name="ada", admin_passphrase=passphrase, kdf=kdf, kdf_floor=kdf_floor
    )
    clinic = DemoClinic(str(location), created.break_glass_code, {"ada": created.recovery_code})
    for name, (role, passphrase) in DEMO_USERS.items():
        if name != "ada":
            _, clinic.recovery_codes[name] = access.add_user(created.admin, name, role, passphrase)
    access.assign_supervisor(created.admin, "sam", "tess")
    access.assign_supervisor(created.admin, "sam", "theo")
    for index in range(12):
        therapist = "tess" if index % 2 == 0 else "theo"
        session = created.vault.unlock(therapist, DEMO_USERS[therapist][1])
        name = f"{_FIRST[index]} {rng.choice(_LAST)}"
        born = dt.date(1960 + rng.randint(0, 40), rng.randint(1, 12), rng.randint(1, 28))
        patient_id = patients.add_patient(
            session,
            {
                "name": name,
                "date_of_birth": born.isoformat(),
                "sex": "unknown",
                "contact": "demo only",
            },
        )
        start = dt.date(2026, 1, 5) + dt.timedelta(days=7 * index)
        for note in _course(rng, start, improving=index % 4 != 3):
            notes.put_note(session, patient_id, note)
        clinic.patients.setdefault(therapist, []).append(patient_id)
    return clinic
