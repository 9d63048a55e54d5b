"""The supervisor's clinic overview and the ``compile`` command (run in-process)."""

from __future__ import annotations

import argparse
import json

import nbformat
import pytest

from kap_notes.cli import compile as compile_cli
from kap_notes.cli.context import Context
from kap_notes.compile import overview_notebook, read_compiled
from kap_notes.model.patient import InvalidInput
from tests.compile.conftest import Course12
from tests.compile.helpers import html_table, load
from tests.conftest import PASSPHRASES


def test_overview_lists_patients_pending_notes_and_open_flags(recorded: Course12) -> None:
    nb = load(overview_notebook(recorded.sam))
    nbformat.validate(nbformat.reads(json.dumps(nb), as_version=4))
    patients = html_table(nb, "patients")
    assert len(patients) == 1
    row = patients[0]
    assert row["Chart code"] == recorded.course.profile["chart_code"]
    assert row["Name"] == recorded.course.profile["name"]
    assert row["Phase"] == "maintenance"
    last_phq9 = [s.answers for s in recorded.course.steps if "phq9" in s.answers][-1]["phq9"]
    assert row["Last PHQ-9"] == str(sum(int(last_phq9[f"phq9_{i}"]) for i in range(1, 10)))
    pending = html_table(nb, "pending")
    waiting = set(recorded.note_ids) - set(recorded.cosigned)
    assert {p["Note id"] for p in pending} == waiting
    assert row["Awaiting co-sign"] == str(len(waiting))
    assert {p["Author"] for p in pending} == {"tess"}
    assert overview_notebook(recorded.sam) == overview_notebook(recorded.sam)


def _run(argv: list[str], monkeypatch: pytest.MonkeyPatch, user: str = "sam") -> int:
    monkeypatch.setenv("KAP_NOTES_PASSPHRASE", PASSPHRASES[user])
    monkeypatch.setenv("KAP_NOTES_FAST_KDF", "1")
    parser = argparse.ArgumentParser()
    parser.add_argument("--vault")
    parser.add_argument("--user")
    parser.add_argument("--json", action="store_true")
    compile_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    status: int = args.func(Context(args))
    return status


def test_cli_compiles_one_patient_then_reports_up_to_date(
    recorded: Course12, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--vault", str(recorded.clinic.path), "--user", "sam", "--json", "compile"]
    assert _run([*base, recorded.patient_id], monkeypatch) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["changed"] is True
    assert _run([*base, recorded.patient_id], monkeypatch) == 0
    assert json.loads(capsys.readouterr().out)["changed"] is False
    assert read_compiled(recorded.sam, recorded.patient_id) is not None


def test_cli_stdout_all_and_overview(
    recorded: Course12, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--vault", str(recorded.clinic.path), "--user", "sam"]
    _run([*base, "compile", recorded.patient_id, "--stdout"], monkeypatch)
    printed = capsys.readouterr().out
    assert printed == read_compiled(recorded.sam, recorded.patient_id)
    nbformat.validate(nbformat.reads(printed, as_version=4))
    _run([*base, "--json", "compile", "--all"], monkeypatch)
    done = json.loads(capsys.readouterr().out)
    assert done == [
        {"patient_id": recorded.patient_id, "record_id": done[0]["record_id"], "changed": False}
    ]
    _run([*base, "compile", "--overview"], monkeypatch)
    overview = load(capsys.readouterr().out)
    assert overview["metadata"]["kap_notes"]["kind"] == "overview"


def test_cli_needs_exactly_one_target(recorded: Course12, monkeypatch: pytest.MonkeyPatch) -> None:
    base = ["--vault", str(recorded.clinic.path), "--user", "sam", "compile"]
    with pytest.raises(InvalidInput, match="say what to compile"):
        _run(base, monkeypatch)
    with pytest.raises(InvalidInput, match="say what to compile"):
        _run([*base, recorded.patient_id, "--all"], monkeypatch)
    with pytest.raises(InvalidInput, match="--stdout goes with one PATIENT"):
        _run([*base, "--all", "--stdout"], monkeypatch)
