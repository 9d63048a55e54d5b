"""The ``kap-notes`` command line, run as a real subprocess the way admins and scripts run it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runner import Cli


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    run = Cli(tmp_path / "vault")
    run("init", "--admin", "ada", "--fast-kdf", new_passphrase="ada passphrase 1")
    run(
        "user",
        "add",
        "tess",
        "--role",
        "therapist",
        user="ada",
        passphrase="ada passphrase 1",
        new_passphrase="tess passphrase 1",
    )
    return run


def test_init_prints_the_codes_once(tmp_path: Path) -> None:
    run = Cli(tmp_path / "v")
    out = run("--json", "init", "--admin", "ada", "--fast-kdf", new_passphrase="ada passphrase 1")
    data = json.loads(out.stdout)
    assert data["break_glass_code"].startswith("BG-")
    assert len(data["recovery_code"].replace("-", "")) == 32
    # the codes are not stored anywhere in the vault directory
    for file in (tmp_path / "v").iterdir():
        raw = file.read_bytes()
        assert data["break_glass_code"].encode() not in raw
        assert data["recovery_code"].encode() not in raw


def test_patient_and_note_round_trip(cli: Cli, tmp_path: Path) -> None:
    tess = {"user": "tess", "passphrase": "tess passphrase 1"}
    patient_file = tmp_path / "p.json"
    patient_file.write_text(
        json.dumps(
            {
                "name": "Synthetic Cli Person",
                "date_of_birth": "1981-02-03",
                "sex": "female",
                "contact": "none",
            }
        )
    )
    patient_id = cli("patient", "add", "--json", str(patient_file), **tess).stdout.strip()
    assert patient_id.startswith("pt_")
    listed = json.loads(cli("patient", "list", "--json", **tess).stdout)
    assert [p["name"] for p in listed] == ["Synthetic Cli Person"]
    note_file = tmp_path / "n.json"
    answers = {
        "session_datetime": "2026-02-01T10:00",
        "setting": "in_person",
        "intentions": [{"intention": "rest"}],
    }
    note_file.write_text(json.dumps({"form": "intention", "answers": answers}))
    note_id = cli("note", "put", patient_id, "--json", str(note_file), **tess).stdout.strip()
    got = json.loads(cli("--json", "note", "get", note_id, **tess).stdout)
    assert got["answers"] == answers
    assert got["version"] == 1
    notes = json.loads(cli("note", "list", patient_id, "--json", **tess).stdout)
    assert [n["note_id"] for n in notes] == [note_id]
    # updating with a stale version is a clear conflict
    cli(
        "note",
        "put",
        patient_id,
        "--json",
        str(note_file),
        "--note",
        note_id,
        "--version",
        "1",
        **tess,
    )
    stale = cli(
        "note",
        "put",
        patient_id,
        "--json",
        str(note_file),
        "--note",
        note_id,
        "--version",
        "1",
        ok=False,
        **tess,
    )
    assert "changed by someone else" in stale.stderr
    verify = json.loads(cli("--json", "audit", "verify").stdout)
    assert verify["ok"] is True
    report = json.loads(
        cli(
            "--json", "audit", "report", patient_id, user="ada", passphrase="ada passphrase 1"
        ).stdout
    )
    assert {"create", "read", "update"} <= {r["action"] for r in report}
    assert {r["user"] for r in report} == {"tess"}


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (
            ("patient", "list"),
            {"user": "tess", "passphrase": "wrong wrong"},
            "wrong user name or passphrase",
        ),
        (
            ("patient", "list"),
            {"user": "nobody", "passphrase": "x"},
            "wrong user name or passphrase",
        ),
        (("patient", "list"), {}, "pass --user NAME"),
        (
            ("patient", "show", "pt_nope"),
            {"user": "tess", "passphrase": "tess passphrase 1"},
            "no patient pt_nope",
        ),
        (
            ("user", "add", "x", "--role", "admin"),
            {
                "user": "tess",
                "passphrase": "tess passphrase 1",
                "new_passphrase": "long enough pass",
            },
            "needs admin",
        ),
        (
            ("user", "add", "x", "--role", "admin"),
            {"user": "ada", "passphrase": "ada passphrase 1", "new_passphrase": "short"},
            "at least 10 characters",
        ),
        (("shred", "pt_x"), {"user": "ada", "passphrase": "ada passphrase 1"}, "--yes"),
    ],
)
def test_errors_are_one_clear_line(
    cli: Cli, args: tuple[str, ...], kwargs: dict[str, str], message: str
) -> None:
    result = cli(*args, ok=False, **kwargs)
    assert message in result.stderr


def test_bad_patient_input_lists_every_problem(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "", "date_of_birth": "07/03/1984", "sex": "x"}))
    result = cli(
        "patient", "add", "--json", str(bad), user="tess", passphrase="tess passphrase 1", ok=False
    )
    for part in ["Name is required", "not a date like 1984-03-07", "must be one of"]:
        assert part in result.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = cli(
        "patient",
        "add",
        "--json",
        str(broken),
        user="tess",
        passphrase="tess passphrase 1",
        ok=False,
    )
    assert "not valid JSON" in result.stderr


def test_missing_vault_is_explained(tmp_path: Path) -> None:
    result = Cli(tmp_path / "nowhere")("audit", "verify", ok=False)
    assert "kap-notes init" in result.stderr


def test_access_commands(cli: Cli, tmp_path: Path) -> None:
    ada = {"user": "ada", "passphrase": "ada passphrase 1"}
    tess = {"user": "tess", "passphrase": "tess passphrase 1"}
    cli("user", "add", "theo", "--role", "therapist", new_passphrase="theo passphrase 1", **ada)
    theo = {"user": "theo", "passphrase": "theo passphrase 1"}
    file = tmp_path / "p.json"
    file.write_text(json.dumps({"name": "Synthetic Grant", "date_of_birth": "1990-01-01"}))
    patient = cli("patient", "add", "--json", str(file), **tess).stdout.strip()
    cli("patient", "show", patient, ok=False, **theo)
    assert "granted" in cli("grant", patient, "theo", **tess).stdout
    assert "Synthetic Grant" in cli("patient", "show", patient, **theo).stdout
    assert "epoch 2" in cli("revoke", patient, "theo", **tess).stdout
    cli("patient", "show", patient, ok=False, **theo)
    assert "epoch 3" in cli("rotate", patient, **ada).stdout
    bg = cli(
        "break-glass",
        patient,
        "--reason",
        "patient in crisis, therapist away",
        **theo,
        env={"KAP_NOTES_BREAK_GLASS_CODE": "BG-AAAA-BBBB"},
        ok=False,
    )
    assert "break-glass code" in bg.stderr
    checkpoint = tmp_path / "cp.json"
    cli("audit", "checkpoint", "--out", str(checkpoint), **ada)
    assert json.loads(cli("--json", "audit", "verify", "--checkpoint", str(checkpoint)).stdout)[
        "ok"
    ]
    cli("shred", patient, "--yes", **ada)
    cli("patient", "show", patient, ok=False, **tess)
    cli("user", "passwd", new_passphrase="tess passphrase 2", **tess)
    cli("patient", "list", ok=False, **tess)
    cli("patient", "list", user="tess", passphrase="tess passphrase 2")


def test_requested_access_waits_for_the_treating_therapist(cli: Cli, tmp_path: Path) -> None:
    ada = {"user": "ada", "passphrase": "ada passphrase 1"}
    tess = {"user": "tess", "passphrase": "tess passphrase 1"}
    cli("user", "add", "theo", "--role", "therapist", new_passphrase="theo passphrase 1", **ada)
    theo = {"user": "theo", "passphrase": "theo passphrase 1"}
    file = tmp_path / "p.json"
    file.write_text(json.dumps({"name": "Synthetic Request", "date_of_birth": "1990-01-01"}))
    patient = cli("patient", "add", "--json", str(file), **tess).stdout.strip()

    asked = json.loads(cli("--json", "grant", patient, "theo", **ada).stdout)
    assert asked["state"] == "pending"
    cli("patient", "show", patient, ok=False, **theo)  # tess's unlocks fulfil nothing
    cli("patient", "list", **tess)
    cli("patient", "show", patient, ok=False, **theo)
    waiting = json.loads(cli("--json", "requests", **tess).stdout)["requests"]
    assert waiting == [{"patient": patient, "user": "theo", "requested_by": "ada"}]
    assert f"kap-notes approve {patient} theo" in cli("requests", **tess).stdout
    assert "treating therapist" in cli("approve", patient, "theo", ok=False, **ada).stderr

    cli("approve", patient, "theo", **tess)

    assert "Synthetic Request" in cli("patient", "show", patient, **theo).stdout
    assert json.loads(cli("--json", "requests", **tess).stdout)["requests"] == []
    assert json.loads(cli("--json", "grant", patient, "ada", **ada).stdout)["state"] == "pending"
    cli("deny", patient, "ada", **tess)
    cli("patient", "show", patient, ok=False, **ada)
    assert "nothing waits for you" in cli("requests", **tess).stdout
    assert json.loads(cli("--json", "audit", "verify").stdout)["ok"]


def test_demo_creates_a_clinic_that_verifies(tmp_path: Path) -> None:
    run = Cli(tmp_path / "demo" / "vault")
    out = json.loads(run("--json", "demo", str(tmp_path / "demo")).stdout)
    assert out["created"] is True
    assert sum(len(p) for p in out["patients"].values()) == 12
    listed = json.loads(
        run(
            "--json", "patient", "list", user="tess", passphrase=out["users"]["tess"]["passphrase"]
        ).stdout
    )
    assert len(listed) == 6
    assert json.loads(run("--json", "audit", "verify").stdout)["ok"]
    queue = json.loads(
        run(
            "--json", "review", "queue", user="sam", passphrase=out["users"]["sam"]["passphrase"]
        ).stdout
    )
    assert queue, "the demo leaves notes waiting for co-signature"
    again = json.loads(run("--json", "demo", str(tmp_path / "demo")).stdout)
    assert again["created"] is False
