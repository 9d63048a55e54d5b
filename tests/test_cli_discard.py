"""``kap-notes note discard``: the author discards a draft (audited); signed notes never."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from kap_notes.service.synthetic import synthetic_course
from tests.cli_runner import Cli

ADA = {"user": "ada", "passphrase": "ada passphrase 1"}
TESS = {"user": "tess", "passphrase": "tess passphrase 1"}


def test_note_discard_removes_a_draft_and_refuses_a_signed_note(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "vault")
    cli("init", "--admin", "ada", "--fast-kdf", new_passphrase=ADA["passphrase"])
    cli("user", "add", "tess", "--role", "therapist", new_passphrase=TESS["passphrase"], **ADA)
    course = synthetic_course(2, start=dt.date(2026, 1, 5))
    (tmp_path / "p.json").write_text(json.dumps(course.profile))
    patient = cli("patient", "add", "--json", str(tmp_path / "p.json"), **TESS).stdout.strip()
    (tmp_path / "n.json").write_text(
        json.dumps({"form": "preparation", "answers": course.steps[0].answers})
    )
    notes = [
        cli("note", "put", patient, "--json", str(tmp_path / "n.json"), **TESS).stdout.strip()
        for _ in range(2)
    ]
    cli("note", "sign", notes[0], **TESS)
    refused = cli("note", "discard", notes[0], ok=False, **TESS)
    assert "never be discarded" in refused.stderr
    done = json.loads(cli("--json", "note", "discard", notes[1], **TESS).stdout)
    assert done == {"note_id": notes[1], "version": 2, "discarded": True}
    listed = json.loads(cli("--json", "note", "list", patient, **TESS).stdout)
    assert [n["note_id"] for n in listed] == [notes[0]]
    again = cli("note", "discard", notes[1], ok=False, **TESS)
    assert "already discarded" in again.stderr
