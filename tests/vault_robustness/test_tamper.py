"""An attacker with write access to the vault's database (but no keys) edits it with plain SQL
(sqlite3 on ``vault.sqlite``, or psycopg with the database's credentials).
Every edit below must be reported by ``verify_chain``; record edits must also stop unlock or
reading."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kap_notes.vault import access, audit, crypto
from kap_notes.vault.crypto import KeyPair, OpenError
from kap_notes.vault.errors import IntegrityError, WrongPassphrase
from kap_notes.vault.session import Session, wrap_context

from ._helpers import query, raw_db
from .conftest import PASSPHRASES, Clinic, make_clinic


@dataclass
class Scene:
    clinic: Clinic
    tess: Session
    first: str  # patient ids
    second: str
    notes: list[str]  # record ids of the first patient; notes[0] has versions 1..3
    other: str  # a note of the second patient

    @property
    def location(self) -> str:
        return self.clinic.location

    def verify(self, checkpoints: list[dict[str, Any]] | None = None) -> audit.VerifyReport:
        vault = self.clinic.open()
        return audit.verify_chain(vault.store, vault.vault_id, checkpoints=checkpoints or [])


@pytest.fixture
def scene(vault_location: str) -> Iterator[Scene]:
    clinic = make_clinic(vault_location)
    tess = clinic.unlock("tess")
    first = tess.create_patient({"kind": "patient", "name": "Synthetic G"})
    second = tess.create_patient({"kind": "patient", "name": "Synthetic H"})
    notes = [tess.put_record(first, {"kind": "note", "n": n})[0] for n in range(3)]
    for v in (1, 2):
        tess.put_record(
            first, {"kind": "note", "n": 0, "v": v + 1}, record_id=notes[0], expected_version=v
        )
    other = tess.put_record(second, {"kind": "note", "n": 99})[0]
    for rid in notes:
        tess.get_record(rid)
    scene = Scene(clinic, tess, first, second, notes, other)
    report = scene.verify()
    assert report.ok, report.problems  # the untampered vault verifies
    yield scene
    clinic.close()


def _rows(location: str) -> list[tuple[object, ...]]:
    return query(location, "SELECT seq, action, record FROM audit ORDER BY seq")


def _seq_of(location: str, action: str, nth: int = 0) -> int:
    return [int(s) for s, a, _ in _rows(location) if a == action][nth]


# ------------------------------------------------------------------------- audit entries


def _edit_entry_bytes(location: str, seq: int) -> None:
    with raw_db(location) as db:
        (entry,) = db.execute("SELECT entry FROM audit WHERE seq = ?", (seq,)).fetchone()
        fields = json.loads(entry)
        fields["ts"] = "2020-01-01T00:00:00.000000+00:00"
        edited = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
        db.execute("UPDATE audit SET entry = ?, ts = ? WHERE seq = ?", (edited, fields["ts"], seq))


def _edit_and_rechain(location: str, seq: int) -> None:
    """Edit an entry and recompute every later hash and prev: only signatures can tell."""
    with raw_db(location) as db:
        rows = db.execute("SELECT seq, entry FROM audit WHERE seq >= ? ORDER BY seq", (seq,))
        rows = rows.fetchall()
        (prev,) = db.execute("SELECT hash FROM audit WHERE seq = ?", (seq - 1,)).fetchone()
        for n, entry in rows:
            fields = json.loads(entry)
            fields["prev"] = bytes(prev).hex()
            if n == seq:
                fields["action"] = "read"
                fields["version"] = fields["blob_sha256"] = None
            new = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            new_entry = new.encode()
            prev = audit.chain_hash(bytes(prev), new_entry)
            db.execute(
                "UPDATE audit SET entry = ?, hash = ?, action = ? WHERE seq = ?",
                (new_entry, prev, fields["action"], n),
            )


def _reattribute(location: str, seq: int) -> None:
    """Change only the indexed actor column (e.g. to blame someone else for a read)."""
    with raw_db(location) as db:
        (admin,) = db.execute("SELECT user_id FROM users WHERE name = 'ada'").fetchone()
        db.execute("UPDATE audit SET actor = ? WHERE seq = ?", (admin, seq))


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_edit_entry_bytes, "hash chain broken"),
        (_edit_and_rechain, "does not verify"),
        (_reattribute, "indexed columns differ"),
    ],
    ids=["entry-bytes", "edit-and-rechain", "actor-column"],
)
def test_edited_audit_entry_is_reported(
    scene: Scene, edit: Callable[[str, int], None], expected: str
) -> None:
    seq = _seq_of(scene.location, "update")
    edit(scene.location, seq)
    report = scene.verify()
    assert not report.ok
    assert any(p.startswith(f"audit entry {seq} (") and expected in p for p in report.problems), (
        report.problems
    )


def test_deleted_audit_entry_is_reported(scene: Scene) -> None:
    seq = _seq_of(scene.location, "read")  # a read: deleting it changes no record check
    query(scene.location, "DELETE FROM audit WHERE seq = ?", (seq,))
    report = scene.verify()
    assert any(f"expected entry {seq}" in p for p in report.problems), report.problems


def test_swapped_audit_entries_are_reported(scene: Scene) -> None:
    a, b = _seq_of(scene.location, "read", 0), _seq_of(scene.location, "read", 1)
    with raw_db(scene.location) as db:  # renumber: b takes a's place and a takes b's
        db.execute("UPDATE audit SET seq = -1 WHERE seq = ?", (a,))
        db.execute("UPDATE audit SET seq = ? WHERE seq = ?", (a, b))
        db.execute("UPDATE audit SET seq = ? WHERE seq = -1", (b,))
    report = scene.verify()
    # verification stops at the first entry out of place and names it
    assert not report.ok
    assert any(p.startswith(f"audit entry {a} (") for p in report.problems), report.problems


def test_truncated_tail_is_caught_by_a_signed_checkpoint(scene: Scene, tmp_path: Path) -> None:
    # Given: a checkpoint kept off-box after some more reads.
    for rid in scene.notes:
        scene.tess.get_record(rid)
    cp = access.checkpoint(scene.tess)
    cp_file = tmp_path / "checkpoint.json"
    cp_file.write_text(json.dumps(cp))
    assert scene.verify(checkpoints=[cp]).ok

    # When: the last 3 entries (reads: no record depends on them) are deleted.
    tail = _rows(scene.location)[-3:]
    assert {a for _, a, _ in tail} == {"read"}
    query(scene.location, "DELETE FROM audit WHERE seq > ?", (int(cp["seq"]) - 3,))

    # Then: the chain alone still looks fine (a truncated tail leaves no gap), but the
    # checkpoint reports it — through the library and through `kap-notes audit verify`.
    assert scene.verify().ok
    report = scene.verify(checkpoints=[json.loads(cp_file.read_text())])
    assert any("truncated" in p for p in report.problems), report.problems
    cli = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from kap_notes.cli import main; sys.exit(main())",
            "--vault",
            str(scene.location),
            "audit",
            "verify",
            "--checkpoint",
            str(cp_file),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "KAP_NOTES_FAST_KDF": "1"},
    )
    assert cli.returncode == 3, cli.stderr
    assert "truncated" in cli.stdout


def test_forged_checkpoint_is_rejected(scene: Scene) -> None:
    cp = access.checkpoint(scene.tess)
    forged = {**cp, "seq": int(cp["seq"]) + 5}
    report = scene.verify(checkpoints=[forged])
    assert any("signature does not verify" in p for p in report.problems), report.problems


# ------------------------------------------------------------------------------- records


def _drop_newest_version(location: str, rid: str) -> None:
    with raw_db(location) as db:
        (version,) = db.execute(
            "SELECT version FROM records WHERE record_id = ?", (rid,)
        ).fetchone()
        db.execute("UPDATE records SET version = ? WHERE record_id = ?", (version - 1, rid))
        db.execute(
            "DELETE FROM record_versions WHERE record_id = ? AND version = ?", (rid, version)
        )


def _copy_older_blob_over_newest(location: str, rid: str) -> None:
    with raw_db(location) as db:
        db.execute(
            "UPDATE record_versions SET blob = (SELECT blob FROM record_versions "
            "WHERE record_id = ? AND version = 1) WHERE record_id = ? AND version = 3",
            (rid, rid),
        )


@pytest.mark.parametrize(
    ("rollback", "problem"),
    [
        (_drop_newest_version, "rolled back or replaced"),
        (_copy_older_blob_over_newest, "version 3: altered since it was written"),
    ],
    ids=["version", "blob"],
)
def test_single_record_rollback_is_detected(
    scene: Scene, rollback: Callable[[str, str], None], problem: str
) -> None:
    rid = scene.notes[0]
    assert query(scene.location, "SELECT version FROM records WHERE record_id = ?", (rid,)) == [
        (3,)
    ]
    rollback(scene.location, rid)

    report = scene.verify()
    assert any(p.startswith(f"record {rid}") and problem in p for p in report.problems), (
        report.problems
    )
    if rollback is _drop_newest_version:
        # a record head behind the signed log stops every unlock (heads are checked there)
        for name in ("tess", "ada", "theo"):
            with pytest.raises(IntegrityError, match=rid):
                scene.clinic.unlock(name)
    else:
        # unlock reads no blob: the replaced version is refused when it is read, by any route
        tess = scene.clinic.unlock("tess")
        with pytest.raises(IntegrityError, match="differs from what its author wrote"):
            tess.get_record(rid)
        with pytest.raises(IntegrityError, match=rid):
            tess.read_patient(scene.first)
        with pytest.raises(IntegrityError, match=rid):
            scene.tess.get_record(rid)  # a session unlocked before the attack, too
        assert tess.get_record(rid, 2).content["v"] == 2  # the untouched versions still open


@pytest.mark.parametrize("target", ["other-patient", "same-patient"])
def test_blob_moved_to_another_record_cannot_be_read(scene: Scene, target: str) -> None:
    # Given: tess is unlocked (before the attack) and can open both patients.
    victim = scene.other if target == "other-patient" else scene.notes[1]
    before = scene.tess.get_record(victim).content

    # When: the attacker copies a note of the first patient over the victim's current version.
    with raw_db(scene.location) as db:
        db.execute(
            "UPDATE record_versions SET blob = (SELECT blob FROM record_versions "
            "WHERE record_id = ? AND version = 1) WHERE record_id = ? AND version = 1",
            (scene.notes[2], victim),
        )

    # Then: reading it is refused (before any decryption) in sessions unlocked before and
    # after the attack, and verification flags it.
    assert before["n"] != 2
    replaced = "differs from what its author wrote"
    with pytest.raises(IntegrityError, match=replaced):
        scene.tess.get_record(victim)
    with pytest.raises(IntegrityError, match=replaced):
        scene.clinic.unlock("tess").get_record(victim)
    problems = scene.verify().problems
    assert f"record {victim} version 1: altered since it was written" in problems, problems


# ------------------------------------------------------------------------------- users


@pytest.mark.parametrize("column", ["box_public", "signing_public"])
def test_swapped_public_key_is_detected(scene: Scene, column: str) -> None:
    attacker = KeyPair.generate()
    new = attacker.box_public if column == "box_public" else attacker.signing_public
    query(scene.location, f"UPDATE users SET {column} = ? WHERE name = 'theo'", (new,))  # noqa: S608

    report = scene.verify()
    theo = scene.clinic.user_ids["theo"]
    assert f"user {theo}: name, role or public keys differ from those signed" in report.problems
    # The table is only a cache: every key used comes from the signed log, so the swap gains the
    # attacker nothing. A grant to theo is wrapped to theo's signed key (which theo opens and the
    # attacker's key does not), and theo's own entries still verify under his signed key.
    assert access.grant(scene.tess, scene.second, "theo") == "granted"
    reader = scene.clinic.unlock("theo")
    assert reader.get_record(scene.other).content["n"] == 99
    sealed = query(
        scene.location,
        "SELECT sealed FROM wraps WHERE patient_id = ? AND recipient = ?",
        (scene.second, theo),
    )[0][0]
    context = wrap_context(reader.vault.vault_id, scene.second, 1, theo)
    with pytest.raises(OpenError):
        crypto.open_from(attacker.box, bytes(sealed), context)
    problems = scene.verify().problems
    assert [p for p in problems if not p.startswith(f"user {theo}:")] == [], problems


def test_inserted_user_is_detected(scene: Scene) -> None:
    rogue = KeyPair.generate()
    with raw_db(scene.location) as db:
        (wrap,) = db.execute("SELECT key_wrap FROM users WHERE name = 'theo'").fetchone()
        db.execute(
            "INSERT INTO users (user_id, name, role, box_public, signing_public, key_wrap) "
            "VALUES ('user_rogue', 'mallory', 'admin', ?, ?, ?)",
            (rogue.box_public, rogue.signing_public, wrap),
        )
    problems = scene.verify().problems
    assert "user mallory (user_rogue): in the users table but never added by an admin" in problems
    # an unsigned user does not exist for unlock; and theo's wrap is bound to theo's user id
    with pytest.raises(WrongPassphrase, match="wrong user name or passphrase"):
        scene.clinic.unlock("mallory", PASSPHRASES["theo"])
