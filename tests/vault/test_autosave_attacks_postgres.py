"""The autosave buffer's attacker tests (tests/service, written against SQLite) on PostgreSQL:
a buffer forged by another reader of the patient, moved from another draft or rolled back
within the session, an audited version rewritten in the database, and an autosave naming
another patient. The same clinic (supervisor sam supervises tess) in a fresh database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.service import test_autosave_coalescing as attacks
from tests.vault.conftest import Clinic

ATTACKS = [
    attacks.test_a_buffer_forged_by_another_reader_of_the_patient_is_refused,
    attacks.test_a_buffer_moved_from_another_draft_is_refused,
    attacks.test_a_buffer_rolled_back_within_the_session_is_refused,
    attacks.test_a_rewritten_audited_draft_row_is_still_detected,
    attacks.test_an_autosave_naming_another_patient_writes_nothing,
]


@pytest.mark.parametrize("vault_backend", ["postgres"])  # SQLite: tests/service runs them
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda attack: attack.__name__[5:])
def test_autosave_buffer_attacks_on_postgres(clinic: Clinic, attack: Callable[[Any], None]) -> None:
    assert clinic.backend == "postgres"
    attack(clinic)
