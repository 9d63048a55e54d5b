"""Note lifecycle, review and template commands through the real CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from kap_notes.service.synthetic import synthetic_course
from tests.cli_runner import Cli

TESS = {"user": "tess", "passphrase": "tess passphrase 1"}
SAM = {"user": "sam", "passphrase": "sam passphrase 1"}


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    run = Cli(tmp_path / "vault")
    ada = {"user": "ada", "passphrase": "ada passphrase 1"}
    run("init", "--admin", "ada", "--fast-kdf", new_passphrase="ada passphrase 1")
    run("user", "add", "tess", "--role", "therapist", new_passphrase="tess passphrase 1", **ada)
    run("user", "add", "sam", "--role", "supervisor", new_passphrase="sam passphrase 1", **ada)
    run("user", "supervise", "sam", "tess", **ada)  # a proposal: tess accepts it
    waiting = json.loads(run("--json", "requests", **TESS).stdout)
    assert waiting["proposed_supervisors"] == ["sam"]
    run("accept-supervisor", "sam", **TESS)
    assert json.loads(run("--json", "requests", **TESS).stdout)["proposed_supervisors"] == []
    return run


def _put(cli: Cli, tmp_path: Path, patient: str, form: str, answers: dict[str, object]) -> str:
    file = tmp_path / f"{form}.json"
    file.write_text(json.dumps({"form": form, "answers": answers}))
    return cli("note", "put", patient, "--json", str(file), **TESS).stdout.strip()


def test_put_sign_addend_review(cli: Cli, tmp_path: Path) -> None:
    course = synthetic_course(2, start=dt.date(2026, 1, 5))
    patient_file = tmp_path / "p.json"
    patient_file.write_text(json.dumps(course.profile))
    patient = cli("patient", "add", "--json", str(patient_file), **TESS).stdout.strip()
    prep = _put(cli, tmp_path, patient, "preparation", course.steps[0].answers)
    dosing = _put(cli, tmp_path, patient, "dosing", course.steps[2].answers)
    got = json.loads(cli("--json", "note", "get", dosing, **TESS).stdout)
    # The weight comes from the signed record only: an unsigned preparation draft does not count.
    assert got["computed"]["dose_mg_per_kg"] is None
    cli("note", "sign", prep, **TESS)
    got = json.loads(cli("--json", "note", "get", dosing, **TESS).stdout)
    weight, dose = course.steps[0].answers["weight_kg"], course.steps[2].answers["dose_mg"]
    assert got["computed"]["dose_mg_per_kg"] == pytest.approx(round(dose / weight, 2))
    cli("note", "sign", dosing, **TESS)
    refused = cli("note", "addend", prep, ok=False, **TESS)
    assert "--text TEXT or --file FILE" in refused.stderr
    cli("note", "addend", prep, "--text", "Addendum: synthetic phone call", **TESS)
    listed = json.loads(cli("--json", "note", "list", patient, **TESS).stdout)
    assert {n["status"] for n in listed} == {"signed"}
    assert next(n for n in listed if n["note_id"] == prep)["addenda"] == 1
    queue = json.loads(cli("--json", "review", "queue", **SAM).stdout)
    assert {q["note_id"] for q in queue} == {prep, dosing}
    cli("review", "cosign", prep, **SAM)
    refused = cli("review", "return", dosing, "--comment", " ", ok=False, **SAM)
    assert "needs a comment" in refused.stderr
    cli("review", "return", dosing, "--comment", "Please record the lot number", **SAM)
    statuses = {
        n["note_id"]: n["status"]
        for n in json.loads(cli("--json", "note", "list", patient, **TESS).stdout)
    }
    assert statuses == {prep: "cosigned", dosing: "returned"}
    revision = cli("note", "revise", dosing, **TESS).stdout.strip()
    cli("note", "sign", revision, **TESS)
    assert [q["note_id"] for q in json.loads(cli("--json", "review", "queue", **SAM).stdout)] == [
        revision
    ]
    rates = json.loads(cli("--json", "review", "rates", **SAM).stdout)
    assert rates[0]["author_name"] == "tess"
    assert rates[0]["cosigned"] == 1


def test_put_refuses_wrong_values_but_saves_incomplete_drafts(cli: Cli, tmp_path: Path) -> None:
    course = synthetic_course(6, start=dt.date(2026, 1, 5))
    patient_file = tmp_path / "p.json"
    patient_file.write_text(json.dumps(course.profile))
    patient = cli("patient", "add", "--json", str(patient_file), **TESS).stdout.strip()
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "form": "dosing",
                "answers": {
                    "route": "by pigeon",
                    "dose_mg": "lots",
                    "session_datetime": "yesterday",
                },
            }
        )
    )
    result = cli("note", "put", patient, "--json", str(bad), ok=False, **TESS)
    assert "Route 'by pigeon' is not one of" in result.stderr
    assert "'lots' is not a number" in result.stderr
    assert json.loads(cli("--json", "note", "list", patient, **TESS).stdout) == []
    partial = _put(cli, tmp_path, patient, "intention", {"setting": "remote"})
    refused = cli("note", "sign", partial, ok=False, **TESS)
    assert "cannot sign yet" in refused.stderr
    assert "is required" in refused.stderr


def test_template_commands(cli: Cli, tmp_path: Path) -> None:
    names = {t["name"] for t in json.loads(cli("--json", "template", "list").stdout)}
    assert {"preparation", "intention", "dosing", "integration", "process-note", "phq9"} <= names
    shown = json.loads(cli("--json", "template", "show", "dosing").stdout)
    assert "dose_mg" in {i["linkId"] for i in shown["items"]}
    clinic_dir = tmp_path / "clinic-templates"
    clinic_dir.mkdir()
    (clinic_dir / "broken.yaml").write_text(
        yaml.safe_dump(
            {
                "url": "urn:clinic:form:broken",
                "version": "1.0.0",
                "name": "broken",
                "title": "Broken",
                "kind": "form",
                "items": [{"linkId": "x", "text": "X", "type": "no-such-type"}],
            }
        )
    )
    result = cli("template", "validate", str(clinic_dir), ok=False)
    assert "broken.yaml" in result.stderr + result.stdout
