"""Signing, co-signing, returning and adding an addendum each need the acting user's passphrase
again, in the service layer, for every caller (CLI, REST, agent, in-process)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from kap_notes.records import chart
from kap_notes.service import lifecycle, operations, review
from kap_notes.service.backend import Backend, LocalTransport, NotConfirmed
from kap_notes.service.demo import record_course
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault.errors import WrongPassphrase
from tests.conftest import PASSPHRASES, Clinic


def _signed_course(clinic: Clinic) -> tuple[str, list[str]]:
    tess = clinic.unlock("tess")
    course = synthetic_course(41, start=dt.date(2026, 9, 7), boosters=0)
    return record_course(tess, course, passphrase=PASSPHRASES["tess"])


def _records(clinic: Clinic, patient: str) -> int:
    return len(clinic.unlock("tess").read_patient(patient))


WRONG = ["", "not the passphrase", PASSPHRASES["tess"]]  # tess's is wrong for sam


@pytest.mark.parametrize("wrong", WRONG)
def test_cosign_and_return_need_the_supervisors_passphrase(clinic: Clinic, wrong: str) -> None:
    patient, notes = _signed_course(clinic)
    sam = clinic.unlock("sam")
    before = _records(clinic, patient)
    with pytest.raises(WrongPassphrase):
        review.cosign(sam, notes[0], passphrase=wrong)
    with pytest.raises(WrongPassphrase):
        review.return_note(sam, notes[1], "Synthetic: please add vitals", passphrase=wrong)
    assert _records(clinic, patient) == before
    assert {v.status for v in chart.chart(sam, patient).notes} == {"signed"}
    review.cosign(sam, notes[0], passphrase=PASSPHRASES["sam"])
    review.return_note(sam, notes[1], "Synthetic: please add vitals", passphrase=PASSPHRASES["sam"])
    statuses = [v.status for v in chart.chart(sam, patient).notes[:2]]
    assert statuses == ["cosigned", "returned"]


@pytest.mark.parametrize("wrong", ["", "not the passphrase", PASSPHRASES["sam"]])
def test_addendum_needs_the_authors_passphrase(clinic: Clinic, wrong: str) -> None:
    patient, notes = _signed_course(clinic)
    tess = clinic.unlock("tess")
    before = _records(clinic, patient)
    with pytest.raises(WrongPassphrase):
        lifecycle.add_addendum(tess, notes[0], "Synthetic addendum", passphrase=wrong)
    assert _records(clinic, patient) == before
    lifecycle.add_addendum(tess, notes[0], "Synthetic addendum", passphrase=PASSPHRASES["tess"])
    assert [a.text for a in chart.chart(tess, patient).notes[0].addenda] == ["Synthetic addendum"]


def test_every_confirmed_operation_refuses_a_missing_or_wrong_passphrase(clinic: Clinic) -> None:
    patient, notes = _signed_course(clinic)
    tess, sam = clinic.unlock("tess"), clinic.unlock("sam")
    draft = lifecycle.save_draft(tess, patient, "intention", {"setting": "remote"}).ref.note_id
    calls: dict[str, tuple[Any, dict[str, Any]]] = {
        "sign_note": (tess, {"note_id": draft}),
        "add_addendum": (tess, {"note_id": notes[0], "text": "Synthetic"}),
        "cosign": (sam, {"note_id": notes[0]}),
        "return_note": (sam, {"note_id": notes[1], "comment": "Synthetic"}),
    }
    assert set(calls) == set(operations.CONFIRMED)
    before = _records(clinic, patient)
    for op, (session, kwargs) in calls.items():
        with pytest.raises(Exception, match="passphrase"):
            operations.run(session, op, kwargs)  # no passphrase at all
        with pytest.raises(WrongPassphrase):
            operations.run(session, op, {**kwargs, "passphrase": "not the passphrase"})
    assert _records(clinic, patient) == before


def test_in_process_backend_asks_through_askpass(clinic: Clinic) -> None:
    patient, notes = _signed_course(clinic)
    sam = clinic.unlock("sam")
    asked: list[dict[str, Any]] = []

    def answering(answer: str | None) -> Callable[[dict[str, Any]], str | None]:
        def askpass(request: dict[str, Any]) -> str | None:
            asked.append(request)
            return answer

        return askpass

    with pytest.raises(NotConfirmed, match="nothing can ask"):
        Backend(LocalTransport(sam)).cosign(notes[0])
    with pytest.raises(NotConfirmed, match="cancelled"):
        Backend(LocalTransport(sam, answering(None))).cosign(notes[0])
    with pytest.raises(WrongPassphrase):
        Backend(LocalTransport(sam, answering("not it"))).cosign(notes[0])
    Backend(LocalTransport(sam, answering(PASSPHRASES["sam"]))).cosign(notes[0])
    chart_code = sam.get_record(patient).content["chart_code"]
    assert asked[-1] == {
        "action": "cosign",
        "chart_code": chart_code,
        "form": "preparation",
        "session_date": chart.chart(sam, patient).notes[0].note.session_date,
    }
    assert chart.chart(sam, patient).notes[0].status == "cosigned"
