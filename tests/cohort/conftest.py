"""The demo clinic (12 synthetic courses, co-signed, an addendum and a process note), made once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kap_notes.service.demo import DEMO_USERS, DemoClinic, create_demo
from kap_notes.service.synthetic import Course, synthetic_course
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.session import Session
from kap_notes.vault.vault import Vault

PATIENTS = 12


@dataclass
class Demo:
    path: Path
    made: DemoClinic
    courses: list[Course]

    def unlock(self, name: str) -> Session:
        return Vault.open(self.path, kdf_floor=FAST_KDF).unlock(name, DEMO_USERS[name][1])


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    path = tmp_path_factory.mktemp("cohort") / "vault"
    made = create_demo(path, kdf=FAST_KDF, kdf_floor=FAST_KDF, patient_count=PATIENTS)
    courses = [  # the same courses create_demo recorded (synthetic_course is deterministic)
        synthetic_course(
            i + 1, start=dt.date(2026, 1, 5) + dt.timedelta(weeks=i), improving=i % 4 != 3
        )
        for i in range(PATIENTS)
    ]
    return Demo(path, made, courses)


def strings_in(value: Any) -> list[str]:
    """Every string inside answers (nested dicts and rows)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []
