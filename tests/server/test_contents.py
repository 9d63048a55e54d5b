"""Encrypted notebooks through jupyter_server's contents API."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from tornado.httpclient import HTTPClientError

from kap_notes.service.demo import record_course
from kap_notes.service.synthetic import synthetic_course
from tests.conftest import PASSPHRASES, Clinic

Fetch = Any


@pytest.fixture
def jp_server_config(clinic: Clinic) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"kap_notes.server": True}},
        "KapNotesApp": {"vault": str(clinic.path), "fast_kdf": True},
    }


@pytest.fixture
def chart_code(clinic: Clinic) -> str:
    course = synthetic_course(21, start=dt.date(2026, 3, 2), boosters=0)
    record_course(clinic.unlock("tess"), course, passphrase=PASSPHRASES["tess"])
    return course.profile["chart_code"]


async def contents(fetch: Fetch, path: str, **kwargs: Any) -> dict[str, Any]:
    response = await fetch("api", "contents", *path.split("/"), **kwargs)
    return dict(json.loads(response.body))


async def unlock(fetch: Fetch) -> None:
    body = json.dumps({"user": "tess", "passphrase": PASSPHRASES["tess"]})
    await fetch("kap-notes", "api", "unlock", method="POST", body=body)


async def test_locked_vault_folder_says_so(jp_fetch: Fetch, chart_code: str) -> None:
    root = await contents(jp_fetch, "")
    assert "kap-vault" in [m["name"] for m in root["content"]]
    with pytest.raises(HTTPClientError) as info:
        await contents(jp_fetch, f"kap-vault/{chart_code}/progress.ipynb")
    assert info.value.code == 423


async def test_progress_notebook_compiles_on_open_and_saves_encrypted(
    jp_fetch: Fetch, chart_code: str, clinic: Clinic, jp_root_dir: Path
) -> None:
    await unlock(jp_fetch)
    folder = await contents(jp_fetch, "kap-vault")
    assert [m["name"] for m in folder["content"]] == [chart_code]
    progress = await contents(jp_fetch, f"kap-vault/{chart_code}/progress.ipynb")
    notebook = nbformat.from_dict(progress["content"])
    nbformat.validate(notebook)
    assert any(chart_code in "".join(c["source"]) for c in notebook.cells)
    assert progress["writable"] is False
    # a copy saved into the patient's folder is kept in the vault, not on disk
    notebook.cells.append(nbformat.v4.new_markdown_cell("Supervisor remark: SYNTHETIC-REMARK-77"))
    body = json.dumps({"type": "notebook", "content": notebook})
    await jp_fetch(
        "api", "contents", "kap-vault", chart_code, "review.ipynb", method="PUT", body=body
    )
    listing = await contents(jp_fetch, f"kap-vault/{chart_code}")
    assert sorted(m["name"] for m in listing["content"]) == ["progress.ipynb", "review.ipynb"]
    again = await contents(jp_fetch, f"kap-vault/{chart_code}/review.ipynb")
    assert "SYNTHETIC-REMARK-77" in json.dumps(again["content"])
    for file in [*jp_root_dir.rglob("*"), *clinic.path.rglob("*")]:
        if file.is_file():
            assert b"SYNTHETIC-REMARK-77" not in file.read_bytes()
    assert not (jp_root_dir / "kap-vault").exists()
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("api", "contents", "kap-vault", chart_code, "review.ipynb", method="DELETE")
    assert info.value.code == 403


async def test_launcher_notebooks_are_saved_without_phi(jp_fetch: Fetch, jp_root_dir: Path) -> None:
    notebook = nbformat.v4.new_notebook(
        metadata={
            "kap_notes": {"form": "dosing", "phi": True},
            "widgets": {"state": "SYNTHETIC-STATE-11"},
        }
    )
    cell = nbformat.v4.new_code_cell("from kap_notes import open_form\nopen_form('dosing')")
    cell.outputs = [nbformat.v4.new_output("stream", text="SYNTHETIC-OUTPUT-11")]
    cell.execution_count = 3
    notebook.cells.append(cell)
    plain = nbformat.v4.new_notebook()
    plain.cells.append(nbformat.v4.new_code_cell("1+1"))
    plain.cells[0].outputs = [nbformat.v4.new_output("stream", text="ORDINARY-OUTPUT")]
    for name, nb in [("form.ipynb", notebook), ("plain.ipynb", plain)]:
        await jp_fetch(
            "api",
            "contents",
            name,
            method="PUT",
            body=json.dumps({"type": "notebook", "content": nb}),
        )
    saved = (jp_root_dir / "form.ipynb").read_text()
    assert "SYNTHETIC-OUTPUT-11" not in saved
    assert "SYNTHETIC-STATE-11" not in saved
    assert "open_form('dosing')" in saved
    assert "ORDINARY-OUTPUT" in (jp_root_dir / "plain.ipynb").read_text()


async def test_vault_notebooks_answer_hash_requests(jp_fetch: Fetch, chart_code: str) -> None:
    # JupyterLab 4 opens files with ?hash=1; the vault must answer like the file manager does
    await unlock(jp_fetch)
    response = await jp_fetch(
        "api", "contents", "kap-vault", chart_code, "progress.ipynb", params={"hash": "1"}
    )
    model = json.loads(response.body)
    assert model["hash_algorithm"] == "sha256"
    assert len(model["hash"]) == 64
