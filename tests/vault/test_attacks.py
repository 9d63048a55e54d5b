"""Issue 9's reproductions as regressions, on SQLite and PostgreSQL.

Each test: Given a legitimately built clinic, When someone who can write the database (plain SQL,
plus audit entries signed with their *own* key) changes it, Then nobody gains access they were
never given, and the change is refused or reported: either it has no effect on who can read what
and ``audit verify`` names it, or unlock raises ``IntegrityError`` naming the first unauthorised
audit entry. "Cannot read" is checked through the library *and* with the attacker's own private
keys against the stored wraps (see ``_attacker.py``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest

from kap_notes.export import export_fhir_bundle, export_note_pdf, export_record_pdf
from kap_notes.model.patient import InvalidInput
from kap_notes.model.people import Role
from kap_notes.service import lifecycle, operations, review
from kap_notes.service.notes import get_note
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault import access, audit, crypto
from kap_notes.vault.crypto import KeyPair
from kap_notes.vault.errors import (
    IntegrityError,
    NotAuthorised,
    RecordUnreadable,
    UnknownUser,
    VaultError,
)
from kap_notes.vault.session import Session
from kap_notes.vault.store import AuditRow
from kap_notes.vault.vault import Vault
from tests.conftest import PASSPHRASES, synthetic_patient
from tests.export.conftest import open_pdf, page_texts
from tests.vault.conftest import Clinic

from ._attacker import (
    append_signed,
    assert_names_entry,
    assert_reported,
    decryptable,
    forge_user,
    query,
    raw_db,
    session_reads,
    user_id,
)

PROCESS_TEXT = "Synthetic process reflection: attacker canary 7f3a."
SUE = "sue test passphrase"  # a supervisor added properly, assigned to nobody
PASSWORDS = {**PASSPHRASES, "sue": SUE}
ADDENDUM_TEXT = "Addendum: synthetic follow-up call, resting well."


# ------------------------------------------------------------------------------ the scene
@dataclass
class Scene:
    """tess treats one patient: a signed clinical note and a process-note draft."""

    clinic: Clinic
    tess: Session
    theo: Session
    sam: Session
    patient: str
    signed: str  # a signed clinical note of ``patient`` (versions 1 draft, 2 signed)
    process: str  # a process-note draft by tess
    answers: dict[str, Any]  # valid preparation answers
    integrity_errors: list[str]

    @property
    def location(self) -> str:
        return self.clinic.location

    @property
    def vault_id(self) -> str:
        return self.clinic.vault.vault_id

    def uid(self, name: str) -> str:
        return user_id(self.location, name)

    def theo_signs(self, action: str, **fields: Any) -> AuditRow:
        """An audit entry theo signs with his own key, appended however he likes."""
        return append_signed(
            self.theo.store, self.theo.key_pair, self.uid("theo"), action, **fields
        )

    def verify(self) -> audit.VerifyReport:
        vault = self.clinic.open()
        return audit.verify_chain(vault.store, vault.vault_id)

    def unlock(self, name: str, passphrase: str | None = None) -> Session | None:
        """A fresh unlock; ``None`` if it was refused with an IntegrityError (message kept)."""
        try:
            return self.clinic.open().unlock(name, passphrase or PASSPHRASES[name])
        except IntegrityError as exc:
            self.integrity_errors.append(str(exc))
            return None

    def new_patient(self, session: Session, n: int) -> str:
        profile = {"kind": "patient", "chart_code": f"KAP-A{n}", "sex": "unknown"}
        return str(session.create_patient({**profile, **synthetic_patient(n)}))

    def opens(self, pair: KeyPair, record_ids: list[str] | None = None) -> dict[Any, Any]:
        """What ``pair`` decrypts by itself from the stored wraps and records."""
        return decryptable(self.location, self.vault_id, pair, record_ids)

    def targets(self, patient_id: str) -> list[str]:
        """Every record of the patient, the process note included."""
        extra = [self.process] if patient_id == self.patient else []
        return self.records_of(patient_id) + extra

    def records_of(self, patient_id: str) -> list[str]:
        rows = query(
            self.location, "SELECT record_id FROM records WHERE patient_id = ?", (patient_id,)
        )
        return [str(r[0]) for r in rows]

    def assert_cannot_read(
        self, name: str, pair: KeyPair, patient_id: str, record_ids: list[str] | None = None
    ) -> None:
        """Neither the library (fresh unlock) nor ``name``'s own keys open these records."""
        targets = record_ids if record_ids is not None else self.targets(patient_id)
        assert targets, "nothing to protect: the test is wrong"
        opened = self.opens(pair, targets)
        assert not opened, f"{name}'s own key decrypts {sorted(opened)}"
        try:
            session = self.clinic.open().unlock(name, PASSWORDS[name])
        except (IntegrityError, UnknownUser, NotAuthorised):
            return
        shown = session_reads(session, patient_id, targets) & set(targets)
        assert not shown, f"the library shows {name} {sorted(shown)}"

    def assert_can_read(self, name: str, pair: KeyPair, patient_id: str, record_id: str) -> None:
        assert self.opens(pair, [record_id]), f"{name}'s own key does not open {record_id}"
        session = self.clinic.open().unlock(name, PASSWORDS[name])
        assert session.get_record(record_id).record_id == record_id


@pytest.fixture
def scene(clinic: Clinic) -> Scene:
    tess = clinic.unlock("tess")
    theo = clinic.unlock("theo")
    answers = synthetic_course(4, start=dt.date(2026, 2, 2)).steps[0].answers
    made = Scene(clinic, tess, theo, clinic.unlock("sam"), "", "", "", dict(answers), [])
    made.patient = made.new_patient(tess, 1)
    draft = lifecycle.save_draft(tess, made.patient, "preparation", answers)
    lifecycle.sign_note(tess, draft.ref.note_id, PASSPHRASES["tess"])
    made.signed = draft.ref.note_id
    made.process = lifecycle.save_draft(
        tess,
        made.patient,
        "process-note",
        {"session_datetime": "2026-02-02T10:00:00+00:00", "process_note": PROCESS_TEXT},
    ).ref.note_id
    # the untampered clinic verifies, tess's own key opens her note, theo's opens nothing
    report = made.verify()
    assert report.ok, report.problems
    assert made.opens(tess.key_pair, [made.signed, made.process])
    assert not made.opens(theo.key_pair)
    return made


# ------------------------------------------------------------------ 1. pending grants blindly
def test_inserted_pending_grant_row_is_never_fulfilled(scene: Scene) -> None:
    # Given tess's patient; When theo inserts a pending grant for himself
    query(
        scene.location,
        "INSERT INTO pending_grants (patient_id, user_id) VALUES (?, ?)",
        (scene.patient, scene.uid("theo")),
    )
    # Then tess's next unlock gives theo nothing, and verify names the row
    scene.unlock("tess")
    scene.assert_cannot_read("theo", scene.theo.key_pair, scene.patient)
    assert_reported(scene.verify(), "pending")


def test_self_signed_grant_request_waits_for_approval(scene: Scene) -> None:
    # When theo asks for access with his own signed entry and the row that goes with it
    theo_id = scene.uid("theo")
    entry = scene.theo_signs(
        "grant_request", patient=scene.patient, record=theo_id, data={"user": theo_id}
    )
    query(
        scene.location,
        "INSERT INTO pending_grants (patient_id, user_id) VALUES (?, ?)",
        (scene.patient, theo_id),
    )
    # Then unlocking never fulfils it silently
    if scene.unlock("tess") is None:
        assert_names_entry(scene.integrity_errors[-1], entry.seq)
    scene.assert_cannot_read("theo", scene.theo.key_pair, scene.patient)


# ------------------------------------------------------------------------- 2. a forged user
def test_forged_user_gains_nothing(scene: Scene) -> None:
    second = scene.new_patient(scene.tess, 2)
    vault = scene.clinic.open()
    # When an outsider inserts a user, its self-signed user_add entry and pending grants
    mallory = forge_user(vault.store, scene.location, scene.vault_id, "mallory", "therapist")
    for patient_id in (scene.patient, second):
        query(
            scene.location,
            "INSERT INTO pending_grants (patient_id, user_id) VALUES (?, ?)",
            (patient_id, mallory.user_id),
        )
    # Then tess's unlock refuses naming the forged entry, or fulfils nothing
    if scene.unlock("tess") is None:
        assert_names_entry(scene.integrity_errors[-1], mallory.entry.seq)
    opened = scene.opens(mallory.keys)
    assert not opened, f"the forged user's key decrypts {sorted(opened)}"
    try:
        session = scene.clinic.open().unlock("mallory", mallory.passphrase)
    except VaultError:
        session = None
    if session is not None:
        for patient_id in (scene.patient, second):
            assert not session_reads(session, patient_id, scene.records_of(patient_id))
    report = scene.verify()
    assert_reported(report, f"audit entry {mallory.entry.seq}", mallory.user_id)


# -------------------------------------------------------------------- 3. supervision rows
@pytest.mark.parametrize("intruder", ["theo", "sue"])
def test_inserted_supervision_row_wraps_nothing_new(scene: Scene, intruder: str) -> None:
    # Given sue, a supervisor added properly but assigned to nobody
    access.add_user(scene.clinic.admin, "sue", Role.SUPERVISOR, SUE)
    pair = scene.clinic.open().unlock(intruder, PASSWORDS[intruder]).key_pair
    # When a supervision row says the intruder supervises tess
    query(
        scene.location,
        "INSERT INTO supervision (supervisor_id, therapist_id) VALUES (?, ?)",
        (scene.uid(intruder), scene.uid("tess")),
    )
    # Then a patient tess registers afterwards is not wrapped to them (sam still gets it)
    tess = scene.unlock("tess")
    if tess is not None:
        newcomer = scene.new_patient(tess, 3)
        opened = scene.opens(pair, scene.targets(newcomer))
        assert not opened, f"{intruder}'s own key decrypts {sorted(opened)}"
        scene.assert_cannot_read(intruder, pair, newcomer)
        scene.assert_can_read("sam", scene.sam.key_pair, newcomer, newcomer)
    assert not scene.opens(pair, scene.targets(scene.patient))
    assert_reported(scene.verify(), "supervis")


def test_proposed_supervision_grants_nothing_until_the_therapist_accepts(scene: Scene) -> None:
    # Given sue, proposed by the admin as tess's supervisor
    access.add_user(scene.clinic.admin, "sue", Role.SUPERVISOR, SUE)
    sue = scene.clinic.open().unlock("sue", SUE)
    access.assign_supervisor(scene.clinic.admin, "sue", "tess")
    # Then before tess accepts, sue gets neither old nor new patients
    newcomer = scene.new_patient(scene.unlock("tess") or scene.tess, 4)
    for patient_id in (scene.patient, newcomer):
        assert not scene.opens(sue.key_pair, scene.targets(patient_id))
    # When tess accepts, sue gets tess's existing patients (not the process note) and new ones
    tess = scene.clinic.unlock("tess")
    access.accept_supervisor(tess, "sue")
    later = scene.new_patient(tess, 5)
    sue = scene.clinic.open().unlock("sue", SUE)
    for patient_id in (scene.patient, newcomer, later):
        assert sue.get_record(patient_id).record_id == patient_id
    assert sue.get_record(scene.signed).record_id == scene.signed
    report = scene.verify()
    assert report.ok, report.problems


# ----------------------------------------------------------------- 4. revocation undone
def test_restored_old_epoch_wraps_do_not_open_new_notes(scene: Scene) -> None:
    # Given tess grants theo directly, and theo keeps a copy of his wraps
    assert access.grant(scene.tess, scene.patient, "theo") == "granted"
    theo_id = scene.uid("theo")
    scene.assert_can_read("theo", scene.theo.key_pair, scene.patient, scene.signed)
    kept = query(
        scene.location,
        "SELECT patient_id, epoch, recipient, sealed FROM wraps WHERE recipient = ?",
        (theo_id,),
    )
    assert kept
    # When tess revokes theo, and theo restores his old wraps and the old epoch
    access.revoke(scene.clinic.unlock("tess"), scene.patient, "theo")
    with raw_db(scene.location) as db:
        for patient_id, epoch, recipient, sealed in kept:
            db.execute(
                "DELETE FROM wraps WHERE patient_id = ? AND epoch = ? AND recipient = ?",
                (patient_id, epoch, recipient),
            )
            db.execute(
                "INSERT INTO wraps (patient_id, epoch, recipient, sealed) VALUES (?, ?, ?, ?)",
                (patient_id, epoch, recipient, bytes(sealed)),
            )
        db.execute("UPDATE patients SET epoch = 1 WHERE patient_id = ?", (scene.patient,))
    # Then tess's next note is not readable by theo
    tess = scene.unlock("tess")
    new_note: str | None = None
    if tess is not None:
        try:
            new_note = lifecycle.save_draft(
                tess, scene.patient, "preparation", scene.answers
            ).ref.note_id
        except IntegrityError:
            new_note = None
    if new_note is not None:
        scene.assert_cannot_read("theo", scene.theo.key_pair, scene.patient, [new_note])
    assert_reported(scene.verify(), "wrap", "epoch")


# --------------------------------------------------------------- 5. rollback and deletion
def _blob(scene: Scene, record_id: str, version: int) -> bytes:
    rows = query(
        scene.location,
        "SELECT blob FROM record_versions WHERE record_id = ? AND version = ?",
        (record_id, version),
    )
    return bytes(rows[0][0])


def _rewind(scene: Scene) -> None:
    with raw_db(scene.location) as db:
        db.execute("UPDATE records SET version = 1 WHERE record_id = ?", (scene.signed,))
        db.execute(
            "DELETE FROM record_versions WHERE record_id = ? AND version > 1", (scene.signed,)
        )


def test_rewound_cosigned_note_stops_unlock(scene: Scene) -> None:
    review.cosign(scene.sam, scene.signed, passphrase=PASSPHRASES["sam"])
    _rewind(scene)
    with pytest.raises(IntegrityError, match=scene.signed):
        scene.clinic.unlock("tess")
    assert_reported(scene.verify(), scene.signed)


def test_rewound_note_covered_by_a_forged_update_entry_stops_unlock(scene: Scene) -> None:
    review.cosign(scene.sam, scene.signed, passphrase=PASSPHRASES["sam"])
    old = _blob(scene, scene.signed, 1)
    _rewind(scene)
    # theo signs an "update" back to version 1 with his own key: he holds no right to write it
    entry = scene.theo_signs(
        "update",
        patient=scene.patient,
        record=scene.signed,
        version=1,
        blob_sha256=crypto.sha256(old).hex(),
    )
    with pytest.raises(IntegrityError) as raised:
        scene.clinic.unlock("tess")
    assert_names_entry(str(raised.value), entry.seq)
    assert_reported(scene.verify(), f"audit entry {entry.seq}")


def test_deleted_addendum_covered_by_a_forged_shred_stops_unlock(scene: Scene) -> None:
    addendum = lifecycle.add_addendum(
        scene.tess, scene.signed, ADDENDUM_TEXT, passphrase=PASSPHRASES["tess"]
    ).note_id
    with raw_db(scene.location) as db:
        db.execute("DELETE FROM record_versions WHERE record_id = ?", (addendum,))
        db.execute("DELETE FROM records WHERE record_id = ?", (addendum,))
    entry = scene.theo_signs("shred", patient=scene.patient)
    with pytest.raises(IntegrityError) as raised:
        scene.clinic.unlock("tess")
    assert_names_entry(str(raised.value), entry.seq)
    assert_reported(scene.verify(), f"audit entry {entry.seq}")


def test_all_zero_signature_stops_unlock(scene: Scene) -> None:
    rows = query(
        scene.location,
        "SELECT seq FROM audit WHERE action = 'sign' AND record = ?",
        (scene.signed,),
    )
    seq = int(rows[0][0])
    query(scene.location, "UPDATE audit SET signature = ? WHERE seq = ?", (b"\x00" * 64, seq))
    with pytest.raises(IntegrityError) as raised:
        scene.clinic.unlock("tess")
    assert_names_entry(str(raised.value), seq)
    assert_reported(scene.verify(), f"audit entry {seq}")


@pytest.mark.parametrize("cover", [False, True], ids=["plain", "forged-update-entry"])
def test_older_authentic_version_copied_over_the_signed_one(scene: Scene, cover: bool) -> None:
    old = _blob(scene, scene.signed, 1)
    query(
        scene.location,
        "UPDATE record_versions SET blob = ? WHERE record_id = ? AND version = 2",
        (old, scene.signed),
    )
    if cover:
        scene.theo_signs(
            "update",
            patient=scene.patient,
            record=scene.signed,
            version=2,
            blob_sha256=crypto.sha256(old).hex(),
        )
    tess = scene.unlock("tess")
    if tess is not None:
        with pytest.raises((IntegrityError, RecordUnreadable)):
            get_note(tess, scene.signed)
    assert_reported(scene.verify(), scene.signed, "audit entry")


# ------------------------------------------------------------------- 6. role escalation
def test_role_column_does_not_make_an_admin(scene: Scene) -> None:
    query(scene.location, "UPDATE users SET role = 'admin' WHERE name = 'theo'")
    before = sorted(scene.records_of(scene.patient))
    theo = scene.unlock("theo")
    if theo is not None:
        with pytest.raises(NotAuthorised):
            access.shred(theo, scene.patient)
        with pytest.raises(NotAuthorised):
            access.add_user(theo, "eve", Role.THERAPIST, "eve test passphrase")
    assert sorted(scene.records_of(scene.patient)) == before
    assert not query(scene.location, "SELECT user_id FROM users WHERE name = 'eve'")
    assert_reported(scene.verify(), "role", scene.uid("theo"))


# ---------------------------------------------------------------- 7. admin self-grant
def test_admin_self_grant_waits_for_the_treating_therapist(scene: Scene) -> None:
    ada = scene.clinic.admin
    assert access.grant(ada, scene.patient, "ada") == "pending"
    # tess unlocks: nothing is fulfilled silently
    assert scene.unlock("tess") is not None
    scene.assert_cannot_read("ada", ada.key_pair, scene.patient)
    # nobody but the treating therapist approves, and never the admin for herself
    for name in ("ada", "theo", "sam"):
        with pytest.raises(NotAuthorised):
            access.approve_grant(scene.clinic.unlock(name), scene.patient, "ada")
    scene.assert_cannot_read("ada", ada.key_pair, scene.patient)
    tess = scene.clinic.unlock("tess")
    waiting = access.pending_requests(tess)
    asks = [r for r in waiting if r.patient_id == scene.patient and r.user_name == "ada"]
    assert len(asks) == 1, waiting
    assert asks[0].requested_by in ("ada", scene.uid("ada"))
    assert not access.pending_requests(scene.clinic.unlock("theo"))
    # the treating therapist approves: now ada reads the clinical record
    access.approve_grant(tess, scene.patient, "ada")
    scene.assert_can_read("ada", ada.key_pair, scene.patient, scene.signed)
    assert not [r for r in access.pending_requests(tess) if r.user_name == "ada"]
    report = scene.verify()
    assert report.ok, report.problems


def test_therapist_cannot_approve_access_for_herself(scene: Scene) -> None:
    tess = scene.clinic.unlock("tess")
    with pytest.raises(NotAuthorised):
        access.approve_grant(tess, scene.patient, "tess")


# --------------------------------------------------------------- 9. process notes
def test_supervisor_cannot_read_process_notes_by_any_route(scene: Scene) -> None:
    sam = scene.clinic.unlock("sam")
    process = scene.process
    assert not scene.opens(sam.key_pair, [process])
    with pytest.raises(NotAuthorised):
        sam.get_record(process)
    with pytest.raises(NotAuthorised):
        operations.run(sam, "get_note", {"note_id": process})
    try:
        listed = operations.run(
            sam, "list_notes", {"patient_id": scene.patient, "include_process": True}
        )
    except NotAuthorised:
        listed = []
    assert process not in {n["note_id"] for n in listed}
    try:
        record = export_record_pdf(sam, scene.patient, include_process=True)
    except NotAuthorised:
        pass
    else:
        text = " ".join(page_texts(open_pdf(record.pdf, record.passphrase)))
        assert PROCESS_TEXT not in text
    with pytest.raises((NotAuthorised, InvalidInput)):
        export_note_pdf(sam, process, include_process=True)
    try:
        bundle = export_fhir_bundle(sam, scene.patient, include_process=True)
    except NotAuthorised:
        pass
    else:
        assert PROCESS_TEXT not in json.dumps(bundle)
    # the author can, by every route
    tess = scene.clinic.unlock("tess")
    assert get_note(tess, process).answers["process_note"] == PROCESS_TEXT
    listed = operations.run(
        tess, "list_notes", {"patient_id": scene.patient, "include_process": True}
    )
    assert process in {n["note_id"] for n in listed}
    mine = export_record_pdf(tess, scene.patient, include_process=True)
    assert PROCESS_TEXT in " ".join(page_texts(open_pdf(mine.pdf, mine.passphrase)))


# ------------------------------------------------------- 10. key holders and authorship
def test_key_holder_cannot_save_over_anothers_draft(scene: Scene) -> None:
    draft = lifecycle.save_draft(scene.tess, scene.patient, "preparation", scene.answers)
    changed = {**scene.answers, "weight_kg": 999}
    sam = scene.clinic.unlock("sam")
    with pytest.raises(NotAuthorised):
        lifecycle.save_draft(
            sam,
            scene.patient,
            "preparation",
            changed,
            note_id=draft.ref.note_id,
            expected_version=1,
        )
    with pytest.raises(NotAuthorised):
        operations.run(
            sam,
            "save_draft",
            {
                "patient_id": scene.patient,
                "form": "preparation",
                "answers": changed,
                "note_id": draft.ref.note_id,
                "version": 1,
            },
        )
    note = get_note(scene.clinic.unlock("tess"), draft.ref.note_id)
    assert (note.version, note.author, note.answers) == (1, scene.uid("tess"), scene.answers)


def test_key_holder_writing_anothers_draft_at_the_vault_layer_is_caught(scene: Scene) -> None:
    draft = lifecycle.save_draft(scene.tess, scene.patient, "preparation", scene.answers)
    note_id = draft.ref.note_id
    original = get_note(scene.tess, note_id).answers
    sam = scene.clinic.unlock("sam")
    content = scene.tess.get_record(note_id).content | {"answers": {**original, "weight_kg": 1}}
    try:
        sam.put_record(scene.patient, content, record_id=note_id, expected_version=1)
    except NotAuthorised:
        assert get_note(scene.clinic.unlock("tess"), note_id).answers == original
        return
    seq = int(
        query(
            scene.location,
            "SELECT MAX(seq) FROM audit WHERE action = 'update' AND record = ?",
            (note_id,),
        )[0][0]
    )
    tess = scene.unlock("tess")
    if tess is None:
        assert_names_entry(scene.integrity_errors[-1], seq)
    else:
        with pytest.raises((IntegrityError, RecordUnreadable, NotAuthorised)):
            get_note(tess, note_id)
    assert_reported(scene.verify(), f"audit entry {seq}")


def test_key_holder_cannot_pass_access_on(scene: Scene) -> None:
    sam = scene.clinic.unlock("sam")
    with pytest.raises(NotAuthorised):
        access.grant(sam, scene.patient, "theo")
    scene.assert_cannot_read("theo", scene.theo.key_pair, scene.patient)
    report = scene.verify()
    assert report.ok, report.problems


def test_forged_user_named_like_nobody_cannot_unlock_into_anything(scene: Scene) -> None:
    """A forged admin: the self-signed user_add makes nobody an admin."""
    vault = scene.clinic.open()
    mallory = forge_user(vault.store, scene.location, scene.vault_id, "mallory", "admin")
    try:
        session = Vault.open(scene.location, kdf_floor=crypto.FAST_KDF).unlock(
            "mallory", mallory.passphrase
        )
    except VaultError:
        session = None
    if session is not None:
        with pytest.raises(NotAuthorised):
            access.add_user(session, "eve", Role.ADMIN, "eve test passphrase")
        with pytest.raises(NotAuthorised):
            access.shred(session, scene.patient)
    assert not query(scene.location, "SELECT user_id FROM users WHERE name = 'eve'")
    assert scene.records_of(scene.patient)
    assert_reported(scene.verify(), f"audit entry {mallory.entry.seq}", mallory.user_id)
