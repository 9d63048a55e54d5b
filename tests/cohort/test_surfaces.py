"""The cohort through every surface: the API, the command line, REST and the contents manager."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tornado.httpclient import HTTPClientError

from kap_notes import api
from kap_notes.compile.cohort import TABLES
from kap_notes.service.demo import DEMO_USERS, record_course
from kap_notes.service.operations import run
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault.errors import NotAuthorised
from tests.cli_runner import Cli
from tests.cohort.conftest import Demo
from tests.conftest import PASSPHRASES, Clinic

Fetch = Any


def test_api_cohort_returns_the_four_frames(demo: Demo) -> None:
    api.use_session(demo.unlock("sam"))
    try:
        frames = api.cohort()
    finally:
        api.use_session(None)
    assert sorted(frames) == sorted(TABLES)
    assert all(isinstance(f, pd.DataFrame) for f in frames.values())
    assert len(frames["patients"]) == len(demo.courses)
    assert frames["scores"]["study_id"].isin(frames["patients"]["study_id"]).all()


def test_operations_refuse_a_therapist(demo: Demo) -> None:
    tess = demo.unlock("tess")
    for op in ("cohort_frames", "open_outcomes"):
        with pytest.raises(NotAuthorised, match="supervisor or admin"):
            run(tess, op, {})
    assert run(demo.unlock("sam"), "open_outcomes", {})["path"] == "kap-vault/outcomes.ipynb"


def test_cli_export_cohort(demo: Demo, tmp_path: Path) -> None:
    cli = Cli(demo.path)
    out = tmp_path / "cohort"
    done = cli("export", "cohort", "--out", str(out), user="sam", passphrase=DEMO_USERS["sam"][1])
    assert "k = 5" in done.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*(f"{t}.csv" for t in TABLES), "README.txt"]
    )
    readme = (out / "README.txt").read_text()
    assert "k = 5" in readme
    assert "Safe Harbor" in readme
    assert len(pd.read_csv(out / "patients.csv")) == len(demo.courses)
    refused = cli("export", "cohort", "--out", str(tmp_path / "no"), user="tess",
                  passphrase=DEMO_USERS["tess"][1], ok=False)  # fmt: skip
    assert refused.returncode != 0
    assert "supervisor or admin" in refused.stderr
    assert not (tmp_path / "no").exists()


@pytest.fixture
def jp_server_config(clinic: Clinic) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"kap_notes.server": True}},
        "KapNotesApp": {"vault": str(clinic.path), "fast_kdf": True},
    }


async def _unlock(fetch: Fetch, user: str) -> None:
    body = json.dumps({"user": user, "passphrase": PASSPHRASES[user]})
    await fetch("kap-notes", "api", "unlock", method="POST", body=body)


async def _json(fetch: Fetch, *path: str, **kwargs: Any) -> Any:
    return json.loads((await fetch(*path, **kwargs)).body)


async def test_supervisor_opens_the_outcomes_notebook(jp_fetch: Fetch, clinic: Clinic) -> None:
    course = synthetic_course(5, start=dt.date(2026, 2, 2))
    record_course(clinic.unlock("tess"), course, passphrase=PASSPHRASES["tess"])
    await _unlock(jp_fetch, "sam")
    opened = await _json(jp_fetch, "kap-notes", "api", "ops", "open_outcomes", method="POST",
                         body="{}")  # fmt: skip
    listing = await _json(jp_fetch, "api", "contents", "kap-vault")
    assert "outcomes.ipynb" in [m["name"] for m in listing["content"]]
    model = await _json(jp_fetch, "api", "contents", *opened["path"].split("/"))
    assert model["writable"] is False
    assert model["content"]["metadata"]["kap_notes"]["kind"] == "outcomes"
    assert course.profile["chart_code"] not in json.dumps(model)
    body = json.dumps({"type": "notebook", "content": model["content"]})
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("api", "contents", "kap-vault", "outcomes.ipynb", method="PUT", body=body)
    assert info.value.code == 400


async def test_therapist_gets_no_outcomes_notebook(jp_fetch: Fetch) -> None:
    await _unlock(jp_fetch, "tess")
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("kap-notes", "api", "ops", "open_outcomes", method="POST", body="{}")
    assert info.value.code == 403
    listing = await _json(jp_fetch, "api", "contents", "kap-vault")
    assert "outcomes.ipynb" not in [m["name"] for m in listing["content"]]
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("api", "contents", "kap-vault", "outcomes.ipynb")
    assert info.value.code == 403
