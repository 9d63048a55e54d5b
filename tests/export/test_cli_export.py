"""``kap-notes export pdf|fhir`` (the command module, run in-process with a real vault)."""

from __future__ import annotations

import argparse
import json
import stat
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle

from kap_notes.cli import export as export_cli
from kap_notes.cli.context import Context
from tests.conftest import PASSPHRASES
from tests.export.conftest import PROCESS_TEXT, Recorded, open_pdf, page_texts


def _run(recorded: Recorded, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setenv("KAP_NOTES_PASSPHRASE", PASSPHRASES["tess"])
    monkeypatch.setenv("KAP_NOTES_FAST_KDF", "1")
    parser = argparse.ArgumentParser(prog="kap-notes")
    parser.add_argument("--vault")
    parser.add_argument("--user")
    parser.add_argument("--json", action="store_true")
    export_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["--vault", str(recorded.path), "--user", "tess", *argv])
    status: int = args.func(Context(args))
    return status


def test_pdf_with_one_time_passphrase(
    recorded: Recorded,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "record.pdf"
    assert _run(recorded, monkeypatch, "export", "pdf", recorded.patient_id, "--out", str(out)) == 0
    printed = capsys.readouterr().out
    passphrase = printed.split("not stored): ")[1].split()[0]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = " ".join(page_texts(open_pdf(out.read_bytes(), passphrase)))
    assert "Clinical record" in text
    assert PROCESS_TEXT not in text


def test_pdf_of_a_note_with_password_file(
    recorded: Recorded,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("file passphrase 123\n")
    out = tmp_path / "note.pdf"
    argv = ["export", "pdf", recorded.process_note, "--out", str(out)]
    argv += ["--password-file", str(secret), "--include-process"]
    assert _run(recorded, monkeypatch, *argv) == 0
    assert "passphrase" not in capsys.readouterr().out
    assert PROCESS_TEXT in " ".join(page_texts(open_pdf(out.read_bytes(), "file passphrase 123")))


def test_fhir_bundle_file(
    recorded: Recorded,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "bundle.json"
    argv = ["export", "fhir", recorded.patient_id, "--out", str(out), "--timezone", "Europe/Berlin"]
    assert _run(recorded, monkeypatch, *argv) == 0
    assert "unencrypted" in capsys.readouterr().err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    bundle = Bundle.model_validate(json.loads(out.read_text()))
    assert bundle.entry is not None
    assert len(bundle.entry) > 20
