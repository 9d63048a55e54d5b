"""The KAP panel's reads on a real vault: finding patients, a patient's notes with the actions
that fit, My day's rules, the review queue's columns and the note preview operation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kap_notes.forms import ClinicSettings
from kap_notes.records import myday, worklist
from kap_notes.service import lifecycle, operations, review
from kap_notes.service.demo import record_course
from kap_notes.service.synthetic import Course, synthetic_course
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.session import Session
from kap_notes.vault.vault import Vault
from tests.conftest import PASSPHRASES, create_clinic_vault

LATER = dt.timedelta(hours=25)


@dataclass
class Day:
    path: Path
    course: Course
    patient: str
    notes: list[str]
    extra_dosing: str
    rems_draft: str
    returned: str
    theo_patient: str

    def unlock(self, name: str) -> Session:
        return Vault.open(self.path, kdf_floor=FAST_KDF).unlock(name, PASSPHRASES[name])


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Day:
    path = tmp_path_factory.mktemp("worklist") / "vault"
    create_clinic_vault(path)
    vault = Vault.open(path, kdf_floor=FAST_KDF)
    tess = vault.unlock("tess", PASSPHRASES["tess"])
    sam = vault.unlock("sam", PASSPHRASES["sam"])
    course = synthetic_course(3, start=dt.date(2026, 3, 2), boosters=0)  # Spravato route
    patient, notes = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    # A later dosing session with no integration yet.
    late = dt.date(2026, 5, 4)
    answers = {**next(s.answers for s in course.steps if s.form == "dosing")}
    answers["session_datetime"] = f"{late.isoformat()} 09:00"
    saved = lifecycle.save_draft(tess, patient, "dosing", answers)
    extra = saved.ref.note_id
    lifecycle.sign_note(tess, extra, PASSPHRASES["tess"])
    # A Spravato dosing draft whose REMS fields are not all filled.
    partial = {k: v for k, v in answers.items() if k not in ("rems_lot", "rems_ready_minutes")}
    partial["session_datetime"] = "2026-05-11 09:00"
    rems_draft = lifecycle.save_draft(tess, patient, "dosing", partial).ref.note_id
    returned = notes[1]
    review.return_note(sam, returned, "Please add the setting plan.", passphrase=PASSPHRASES["sam"])
    theo = vault.unlock("theo", PASSPHRASES["theo"])
    theo_course = synthetic_course(5, start=dt.date(2026, 3, 2), boosters=0)
    theo_patient, _ = record_course(theo, theo_course, passphrase=PASSPHRASES["theo"])
    return Day(path, course, patient, notes, extra, rems_draft, returned, theo_patient)


# ----------------------------------------------------------------------------- finding
def test_find_patients_by_part_of_name_chart_code_or_date_of_birth(day: Day) -> None:
    tess = day.unlock("tess")
    profile = day.course.profile
    first, last = profile["name"].split()
    year, month, dom = profile["date_of_birth"].split("-")
    for query in (
        first[:3].lower(),
        f"{last.upper()} {first[1:]}",
        profile["chart_code"][-4:],
        profile["date_of_birth"],
        f"{int(month)}/{int(dom)}/{year}",
        "",
    ):
        hits = worklist.find_patients(tess, query)
        assert [h.patient_id for h in hits] == [day.patient], query
    hit = worklist.find_patients(tess, first)[0]
    assert (hit.name, hit.chart_code, hit.date_of_birth) == (
        profile["name"],
        profile["chart_code"],
        profile["date_of_birth"],
    )
    assert hit.therapist == tess.user_label(tess.user_id)
    assert worklist.find_patients(tess, "no-such-person") == []


def test_find_patients_only_over_readable_patients(day: Day) -> None:
    """Theo's patient is not supervised by sam and not tess's: neither finds them."""
    for name in ("tess", "sam"):
        ids = {h.patient_id for h in worklist.find_patients(day.unlock(name), "")}
        assert day.theo_patient not in ids
        assert day.patient in ids
    assert {h.patient_id for h in worklist.find_patients(day.unlock("theo"), "")} == {
        day.theo_patient
    }


@settings(max_examples=25, deadline=None)
@given(
    name=st.text(alphabet="abcdefghij XYZ", min_size=1, max_size=20),
    start=st.integers(0, 19),
    size=st.integers(1, 6),
)
def test_any_word_of_the_name_matches_in_any_case(name: str, start: int, size: int) -> None:
    part = name[start : start + size].strip()
    words = part.split()
    assert worklist.matches(" ".join(w.swapcase() for w in words), name, "KAP-X", "1980-01-02")
    assert not worklist.matches(part + "#", name, "KAP-X", "1980-01-02") or not part


# ------------------------------------------------------------------------- note rows
def _rows(session: Session, patient: str) -> dict[str, worklist.NoteRow]:
    found = worklist.patient_notes(session, patient, ClinicSettings())
    return {r.note_id: r for r in found.notes}


def test_each_note_offers_the_actions_that_fit_its_author(day: Day) -> None:
    tess = day.unlock("tess")
    rows = _rows(tess, day.patient)
    assert rows[day.rems_draft].actions == ["continue", "discard"]
    assert rows[day.rems_draft].status == "draft"
    assert rows[day.returned].actions == ["revise", "view"]
    assert rows[day.returned].returned_comment == "Please add the setting plan."
    assert rows[day.extra_dosing].actions == ["view", "addendum"]
    assert rows[day.extra_dosing].title == "Dosing session"
    assert rows[day.extra_dosing].author_label == tess.user_label(tess.user_id)
    assert rows[day.extra_dosing].signed.endswith("UTC")
    sam_rows = _rows(day.unlock("sam"), day.patient)
    assert {tuple(r.actions) for r in sam_rows.values()} == {("view",)}
    assert worklist.patient_notes(day.unlock("sam"), day.patient, ClinicSettings()).new_notes == []
    new = worklist.patient_notes(tess, day.patient, ClinicSettings()).new_notes
    assert [n["form"] for n in new] == ["preparation", "intention", "dosing", "integration"]
    assert new[2]["title"] == "Dosing session"


def test_rows_are_newest_session_first(day: Day) -> None:
    rows = list(_rows(day.unlock("tess"), day.patient).values())
    dates = [r.session_date or "" for r in rows]
    assert dates == sorted(dates, reverse=True)


# ---------------------------------------------------------------------------- my day
def _section(found: myday.MyDay, key: str) -> list[myday.DayItem]:
    return next(s.items for s in found.sections if s.key == key)


def test_my_day_of_a_therapist(day: Day) -> None:
    tess = day.unlock("tess")
    now = dt.datetime.now(dt.timezone.utc)
    found = myday.my_day(tess, ClinicSettings(), now=now)
    assert [s.key for s in found.sections] == [
        "drafts",
        "returned",
        "integrations",
        "unsigned",
        "rems",
    ]
    assert [i.note_id for i in _section(found, "drafts")] == [day.rems_draft]
    assert _section(found, "unsigned") == []
    returned = _section(found, "returned")
    assert [(i.note_id, i.action) for i in returned] == [(day.returned, "revise")]
    assert "Please add the setting plan." in returned[0].detail
    assert [i.note_id for i in _section(found, "rems")] == [day.rems_draft]
    due = _section(found, "integrations")
    assert [(i.note_id, i.action, i.due) for i in due] == [
        (day.extra_dosing, "integration", "2026-05-11")
    ]
    assert due[0].overdue  # 2026-05-11 has passed by the time this runs
    assert due[0].patient_name == day.course.profile["name"]
    assert due[0].chart_code == day.course.profile["chart_code"]
    # A day later the draft is listed as unsigned after 24 h instead.
    later = myday.my_day(tess, ClinicSettings(), now=now + LATER)
    assert _section(later, "drafts") == []
    assert [i.note_id for i in _section(later, "unsigned")] == [day.rems_draft]


def test_integration_due_follows_the_clinic_setting(day: Day) -> None:
    tess = day.unlock("tess")
    when = dt.datetime(2026, 5, 6, 12, tzinfo=dt.timezone.utc)
    for days, overdue in ((7, False), (1, True)):
        found = myday.my_day(tess, ClinicSettings(integration_max_days_after_dosing=days), now=when)
        item = _section(found, "integrations")[0]
        assert item.due == (dt.date(2026, 5, 4) + dt.timedelta(days=days)).isoformat()
        assert item.overdue is overdue
        assert f"clinic setting: {days} days" in item.detail


def test_an_integration_draft_takes_the_dosing_session_off_the_list(tmp_path: Path) -> None:
    create_clinic_vault(tmp_path / "v")
    tess = Vault.open(tmp_path / "v", kdf_floor=FAST_KDF).unlock("tess", PASSPHRASES["tess"])
    course = synthetic_course(8, start=dt.date(2026, 3, 2), boosters=0)
    course.steps = course.steps[:3]  # preparation, intention, one dosing
    patient, notes = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    found = myday.my_day(tess, ClinicSettings())
    assert [i.note_id for i in _section(found, "integrations")] == [notes[2]]
    lifecycle.save_draft(tess, patient, "integration", {"session_date": "2099-01-01"})
    found = myday.my_day(tess, ClinicSettings())
    assert _section(found, "integrations") == []  # unlinked: the latest dosing before it


def test_my_day_of_a_supervisor_is_their_queue(day: Day) -> None:
    sam = day.unlock("sam")
    found = myday.my_day(sam, ClinicSettings())
    cosign = _section(found, "cosign")
    queue = review.review_queue(sam)
    assert [i.note_id for i in cosign] == [q.note_id for q in queue]
    assert day.returned not in {i.note_id for i in cosign}
    assert all(i.action == "review" for i in cosign)
    assert all(i.patient_name == day.course.profile["name"] for i in cosign)
    assert _section(found, "drafts") == []


# ------------------------------------------------------------------- queue and preview
def test_queue_rows_say_whose_note_it_is(day: Day) -> None:
    sam = day.unlock("sam")
    queue = review.review_queue(sam, ClinicSettings(clinic_time_zone="America/New_York"))
    assert queue
    first = queue[0]
    assert first.patient_name == day.course.profile["name"]
    assert first.chart_code == day.course.profile["chart_code"]
    assert first.therapist == sam.user_label(first.author)
    titles = {"Preparation session", "Intention-setting session", "Dosing session"}
    assert {q.title for q in queue} <= titles | {"Integration session"}
    assert {q.title for q in queue} & titles
    assert first.signed.endswith(("EST", "EDT"))
    assert len(first.signed.split()[1]) == 5  # HH:MM, no seconds


def test_note_preview_operation_is_titled_and_readable(day: Day) -> None:
    sam = day.unlock("sam")
    integration = next(
        n for n, s in zip(day.notes, day.course.steps, strict=True) if s.form == "integration"
    )
    answer = operations.run(sam, "note_preview", {"note_id": integration})
    shown = answer["html"]
    assert day.course.profile["name"] in shown
    assert day.course.profile["chart_code"] in shown
    assert "Integration" in shown
    assert "Dosing session 2026-" in shown  # the linked dosing note by its date, not its id
    assert "rec_" not in shown
    assert "{'" not in shown


def test_revise_note_operation_starts_one_revision(tmp_path: Path) -> None:
    create_clinic_vault(tmp_path / "v")
    vault = Vault.open(tmp_path / "v", kdf_floor=FAST_KDF)
    tess = vault.unlock("tess", PASSPHRASES["tess"])
    course = synthetic_course(9, start=dt.date(2026, 3, 2), boosters=0)
    course.steps = course.steps[:2]
    _, notes = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    sam = vault.unlock("sam", PASSPHRASES["sam"])
    review.return_note(sam, notes[0], "Add the escort.", passphrase=PASSPHRASES["sam"])
    with pytest.raises(Exception, match="only the author"):
        operations.run(sam, "revise_note", {"note_id": notes[0]})
    first = operations.run(tess, "revise_note", {"note_id": notes[0]})
    again = operations.run(tess, "revise_note", {"note_id": notes[0]})
    assert first["started"]
    assert not again["started"]
    assert again["note_id"] == first["note_id"]
    found = operations.run(tess, "my_day", {})
    sections = {s["key"]: s["items"] for s in found["sections"]}
    assert [i["note_id"] for i in sections["drafts"]] == [first["note_id"]]
    assert sections["returned"] == []
