"""A whole-clinic read (the cohort: ``read_patients(..., keep=False)``) decrypts each record
once, with the header parsed once, and neither keeps what it decrypted nor evicts what the
session kept for the clinician's own work. Real vault, real encryption."""

from __future__ import annotations

from typing import Any

import pytest

from kap_notes.vault import crypto
from tests.conftest import Clinic, synthetic_patient


def _count(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    calls = [0]
    real = getattr(crypto, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(crypto, name, counted)
    return calls


def test_a_read_without_keeping_keeps_and_evicts_nothing(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = clinic.unlock("tess")
    mine, other = (
        writer.create_patient({"kind": "patient", **synthetic_patient(n)}) for n in (1, 2)
    )
    for patient in (mine, other):
        writer.put_record(patient, {"kind": "note", "text": "synthetic"})
    tess = clinic.unlock("tess")  # a new session: nothing kept yet
    opened = _count(monkeypatch, "open_record")
    headers = _count(monkeypatch, "read_record_header")
    tess.read_patient(mine)  # kept, as every clinician read is
    assert opened[0] == 2

    first = tess.read_patients([mine, other], keep=False)
    second = tess.read_patients([mine, other], keep=False)

    assert opened[0] == 2 + 2 + 2  # `other` decrypted each time, `mine` never again
    assert headers[0] == 0  # each header parsed once, inside open_record
    assert first == second
    tess.read_patient(mine)
    assert opened[0] == 6  # what the session kept was not evicted
    tess.read_patient(other)
    assert opened[0] == 8  # and nothing from the whole-clinic reads was kept
