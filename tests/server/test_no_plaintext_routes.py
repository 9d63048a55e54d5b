"""Attacker's view of Jupyter's own routes: no vault notebook leaves in plaintext.

Each test drives a real jupyter_server (token auth, through ``jp_fetch``) with the vault unlocked
and a compiled progress notebook for a patient whose synthetic name is a unique canary. Every
route that could copy, move, download or convert a vault notebook is tried; each must be
refused with a clear message, and afterwards no file under the test's tmp path (the server's
root dir, the vault, home, runtime and data dirs) may contain the canary.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError, HTTPResponse

from kap_notes.service.demo import record_course
from kap_notes.service.synthetic import synthetic_course
from tests.conftest import PASSPHRASES, Clinic

Fetch = Any

CANARY = "Quillon Vexmoor-Zantrebel"  # a synthetic patient name found nowhere else
OTHER = "Orsolya Brindlecott-Yarrow"
REFUSAL = "hold patient data"
PDF_PASSPHRASE = "synthetic exporter passphrase 42"
NBCONVERT_FORMATS = [
    "html",
    "script",
    "python",
    "markdown",
    "asciidoc",
    "rst",
    "latex",
    "pdf",
    "webpdf",
    "slides",
    "notebook",
    "kap_pdf",
]


@pytest.fixture
def exporter_passphrase() -> str | None:
    """``c.KapPdfExporter.passphrase`` for the server (unset: the exporter refuses)."""
    return None


@pytest.fixture
def jp_server_config(clinic: Clinic, exporter_passphrase: str | None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "ServerApp": {"jpserver_extensions": {"kap_notes.server": True}},
        "KapNotesApp": {"vault": str(clinic.path), "fast_kdf": True},
    }
    if exporter_passphrase:
        config["KapPdfExporter"] = {"passphrase": exporter_passphrase}
    return config


def _record(clinic: Clinic, seed: int, name: str) -> tuple[str, str]:
    course = synthetic_course(seed, start=dt.date(2026, 3, 2), boosters=0)
    course.profile["name"] = name
    for step in course.steps:
        if "patient_name" in step.answers:
            step.answers["patient_name"] = name
    patient_id, _ = record_course(clinic.unlock("tess"), course, passphrase=PASSPHRASES["tess"])
    return course.profile["chart_code"], patient_id


@pytest.fixture
def patient(clinic: Clinic) -> tuple[str, str]:
    """(chart code, patient id) of the canary patient; tess is the treating therapist."""
    return _record(clinic, 31, CANARY)


@pytest.fixture
def chart(patient: tuple[str, str]) -> str:
    return patient[0]


def assert_no_canary(root: Path) -> None:
    """No file anywhere under ``root`` holds the canary (in UTF-8, JSON-escaped or base64)."""
    needles = [CANARY.encode(), base64.b64encode(CANARY.encode())[:16]]
    leaked = [
        str(file)
        for file in root.rglob("*")
        if file.is_file() and any(n in file.read_bytes() for n in needles)
    ]
    assert leaked == [], f"plaintext PHI on disk: {leaked}"


async def unlock(fetch: Fetch) -> None:
    body = json.dumps({"user": "tess", "passphrase": PASSPHRASES["tess"]})
    await fetch("kap-notes", "api", "unlock", method="POST", body=body)


async def refused(call: Any, *codes: int) -> str:
    """Await ``call`` and expect an HTTP error with one of ``codes``; return its message."""
    with pytest.raises(HTTPClientError) as info:
        await call
    assert info.value.code in (codes or (403, 422)), info.value
    response = info.value.response
    assert response is not None
    body = response.body.decode()
    assert CANARY not in body
    return str(json.loads(body)["message"])


async def progress(fetch: Fetch, chart: str) -> dict[str, Any]:
    response = await fetch("api", "contents", "kap-vault", chart, "progress.ipynb")
    model = dict(json.loads(response.body))
    assert CANARY in json.dumps(model["content"])  # the canary is really in the notebook
    return model


# ------------------------------------------------------------------------- copy and move
@pytest.mark.parametrize("folder", ["", "plain"])
async def test_copy_out_of_the_vault_is_refused(
    jp_fetch: Fetch, chart: str, jp_root_dir: Path, tmp_path: Path, folder: str
) -> None:
    await unlock(jp_fetch)
    await progress(jp_fetch, chart)
    (jp_root_dir / "plain").mkdir()
    body = json.dumps({"copy_from": f"kap-vault/{chart}/progress.ipynb"})
    parts = ["api", "contents", *([folder] if folder else [])]
    message = await refused(jp_fetch(*parts, method="POST", body=body))
    assert "can't be copied outside the vault" in message
    assert "encrypted PDF" in message
    assert_no_canary(tmp_path)


async def test_copy_to_a_named_plain_path_is_refused(
    jp_fetch: Fetch, chart: str, jp_root_dir: Path, tmp_path: Path
) -> None:
    await unlock(jp_fetch)
    body = json.dumps({"copy_from": f"kap-vault/{chart}/progress.ipynb", "copy_to": "x.ipynb"})
    message = await refused(jp_fetch("api", "contents", method="POST", body=body))
    assert REFUSAL in message
    assert not (jp_root_dir / "x.ipynb").exists()
    assert_no_canary(tmp_path)


async def test_copy_within_the_patients_folder_stays_encrypted(
    jp_fetch: Fetch, chart: str, tmp_path: Path
) -> None:
    await unlock(jp_fetch)
    body = json.dumps({"copy_from": f"kap-vault/{chart}/progress.ipynb"})
    response = await jp_fetch("api", "contents", "kap-vault", chart, method="POST", body=body)
    assert response.code == 201
    listing = json.loads((await jp_fetch("api", "contents", "kap-vault", chart)).body)
    names = sorted(m["name"] for m in listing["content"])
    assert names == ["progress-Copy1.ipynb", "progress.ipynb"]
    copy = await jp_fetch("api", "contents", "kap-vault", chart, "progress-Copy1.ipynb")
    assert CANARY in copy.body.decode()
    assert_no_canary(tmp_path)


async def test_copy_into_another_patients_folder_is_refused(
    jp_fetch: Fetch, clinic: Clinic, chart: str, tmp_path: Path
) -> None:
    other_chart, _ = _record(clinic, 32, OTHER)
    await unlock(jp_fetch)
    body = json.dumps({"copy_from": f"kap-vault/{chart}/progress.ipynb"})
    call = jp_fetch("api", "contents", "kap-vault", other_chart, method="POST", body=body)
    message = await refused(call)
    assert "another patient" in message
    listing = json.loads((await jp_fetch("api", "contents", "kap-vault", other_chart)).body)
    assert [m["name"] for m in listing["content"]] == ["progress.ipynb"]
    assert_no_canary(tmp_path)


async def test_rename_out_of_the_vault_is_refused(
    jp_fetch: Fetch, chart: str, tmp_path: Path
) -> None:
    await unlock(jp_fetch)
    body = json.dumps({"copy_from": f"kap-vault/{chart}/progress.ipynb"})
    await jp_fetch("api", "contents", "kap-vault", chart, method="POST", body=body)
    for source in ["progress-Copy1.ipynb", "progress.ipynb"]:
        move = json.dumps({"path": "moved.ipynb"})
        call = jp_fetch("api", "contents", "kap-vault", chart, source, method="PATCH", body=move)
        assert REFUSAL in await refused(call)
    assert_no_canary(tmp_path)


# ------------------------------------------------------------ saving what a GET returned
async def test_save_as_of_a_vault_notebook_into_plain_storage_is_refused(
    jp_fetch: Fetch, chart: str, jp_root_dir: Path, tmp_path: Path
) -> None:
    await unlock(jp_fetch)
    model = await progress(jp_fetch, chart)
    body = json.dumps({"type": "notebook", "format": "json", "content": model["content"]})
    message = await refused(jp_fetch("api", "contents", "saved.ipynb", method="PUT", body=body))
    assert REFUSAL in message
    assert "encrypted PDF" in message
    assert not (jp_root_dir / "saved.ipynb").exists()
    assert_no_canary(tmp_path)


@pytest.mark.parametrize("fmt", ["text", "base64"])
async def test_vault_notebook_saved_as_a_plain_file_is_refused(
    jp_fetch: Fetch, chart: str, tmp_path: Path, fmt: str
) -> None:
    await unlock(jp_fetch)
    text = json.dumps((await progress(jp_fetch, chart))["content"])
    content = text if fmt == "text" else base64.b64encode(text.encode()).decode()
    body = json.dumps({"type": "file", "format": fmt, "content": content})
    assert REFUSAL in await refused(
        jp_fetch("api", "contents", "notes.json", method="PUT", body=body)
    )
    assert_no_canary(tmp_path)


async def test_save_into_another_patients_folder_is_refused(
    jp_fetch: Fetch, clinic: Clinic, chart: str, tmp_path: Path
) -> None:
    other_chart, _ = _record(clinic, 32, OTHER)
    await unlock(jp_fetch)
    model = await progress(jp_fetch, chart)
    body = json.dumps({"type": "notebook", "content": model["content"]})
    call = jp_fetch("api", "contents", "kap-vault", other_chart, "x.ipynb", method="PUT", body=body)
    assert "another patient" in await refused(call)
    assert_no_canary(tmp_path)


async def test_checkpoints_of_vault_notebooks_never_reach_the_disk(
    jp_fetch: Fetch, chart: str, tmp_path: Path
) -> None:
    await unlock(jp_fetch)
    await progress(jp_fetch, chart)
    parts = ["api", "contents", "kap-vault", chart, "progress.ipynb", "checkpoints"]
    created = json.loads((await jp_fetch(*parts, method="POST", body="")).body)
    listed = json.loads((await jp_fetch(*parts)).body)
    assert listed == []
    restore = jp_fetch(*parts, created["id"], method="POST", body="")
    await refused(restore, 400)
    assert_no_canary(tmp_path)


# --------------------------------------------------------------------- downloads as files
@pytest.mark.parametrize("params", [{}, {"download": "1"}])
async def test_files_route_refuses_vault_notebooks(
    jp_fetch: Fetch, chart: str, tmp_path: Path, params: dict[str, str]
) -> None:
    await unlock(jp_fetch)
    call = jp_fetch("files", "kap-vault", chart, "progress.ipynb", params=params)
    message = await refused(call)
    assert REFUSAL in message
    assert "encrypted PDF" in message
    assert_no_canary(tmp_path)


@pytest.mark.parametrize(
    "params",
    [
        {"type": "file"},
        {"type": "file", "format": "text"},
        {"type": "file", "format": "base64"},
        {"format": "text"},
        {"format": "base64"},
    ],
)
async def test_contents_api_serves_vault_notebooks_only_as_notebooks(
    jp_fetch: Fetch, chart: str, tmp_path: Path, params: dict[str, str]
) -> None:
    await unlock(jp_fetch)
    call = jp_fetch("api", "contents", "kap-vault", chart, "progress.ipynb", params=params)
    assert REFUSAL in await refused(call)
    assert_no_canary(tmp_path)


# ------------------------------------------------------------------------------ nbconvert
@pytest.mark.parametrize("fmt", NBCONVERT_FORMATS)
@pytest.mark.parametrize("params", [{}, {"download": "true"}])
async def test_nbconvert_refuses_vault_notebooks(
    jp_fetch: Fetch,
    patient: tuple[str, str],
    clinic: Clinic,
    tmp_path: Path,
    *,
    fmt: str,
    params: dict[str, str],
) -> None:
    chart = patient[0]
    await unlock(jp_fetch)
    call = jp_fetch("nbconvert", fmt, "kap-vault", chart, "progress.ipynb", params=params)
    message = await refused(call)
    assert REFUSAL in message or "always encrypted" in message
    assert "encrypted" in message
    exports = [r for r in clinic.vault.store.audit_rows(patient[1]) if r.action == "export"]
    assert exports == []
    assert_no_canary(tmp_path)


async def test_nbconvert_refuses_an_encoded_vault_path(
    http_server_client: Any,
    jp_auth_header: dict[str, str],
    jp_base_url: str,
    jp_fetch: Fetch,
    *,
    chart: str,
    tmp_path: Path,
) -> None:
    await unlock(jp_fetch)
    url = f"{jp_base_url}nbconvert/html/kap%2Dvault/{chart}/progress.ipynb"
    call = http_server_client.fetch(url, headers=jp_auth_header)
    assert REFUSAL in await refused(call)
    assert_no_canary(tmp_path)


@pytest.mark.parametrize("fmt", ["html", "notebook", "kap_pdf"])
async def test_nbconvert_post_of_a_vault_notebook_is_refused(
    jp_fetch: Fetch, chart: str, tmp_path: Path, fmt: str
) -> None:
    await unlock(jp_fetch)
    model = await progress(jp_fetch, chart)
    body = json.dumps({"name": "progress.ipynb", "content": model["content"]})
    assert REFUSAL in await refused(jp_fetch("nbconvert", fmt, method="POST", body=body))
    assert_no_canary(tmp_path)


async def test_ordinary_notebooks_still_convert(jp_fetch: Fetch, jp_root_dir: Path) -> None:
    notebook = {
        "cells": [{"cell_type": "markdown", "id": "a1", "metadata": {}, "source": "ORDINARY-TEXT"}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (jp_root_dir / "plain.ipynb").write_text(json.dumps(notebook))
    response: HTTPResponse = await jp_fetch("nbconvert", "markdown", "plain.ipynb")
    assert b"ORDINARY-TEXT" in response.body
    response = await jp_fetch(
        "nbconvert", "markdown", method="POST", body=json.dumps({"content": notebook})
    )
    assert b"ORDINARY-TEXT" in response.body


# ----------------------------------------------------------- locked: like the vault routes
async def test_locked_vault_gives_nothing_away(jp_fetch: Fetch, chart: str, tmp_path: Path) -> None:
    body = json.dumps({"copy_from": f"kap-vault/{chart}/progress.ipynb"})
    assert REFUSAL in await refused(jp_fetch("api", "contents", method="POST", body=body))
    await refused(jp_fetch("nbconvert", "html", "kap-vault", chart, "progress.ipynb"))
    await refused(jp_fetch("files", "kap-vault", chart, "progress.ipynb"))
    locked = await refused(
        jp_fetch("nbconvert", "kap_pdf", "kap-vault", chart, "progress.ipynb"), 423
    )
    assert "locked" in locked
    assert_no_canary(tmp_path)


# ------------------------------------------------- the protected path: encrypted, audited
class TestEncryptedPdfExport:
    @pytest.fixture
    def exporter_passphrase(self) -> str | None:
        return PDF_PASSPHRASE

    async def test_encrypted_pdf_export_is_allowed_and_audited(
        self,
        jp_fetch: Fetch,
        clinic: Clinic,
        patient: tuple[str, str],
        tmp_path: Path,
    ) -> None:
        import io  # noqa: PLC0415

        from pypdf import PdfReader  # noqa: PLC0415

        chart, patient_id = patient
        await unlock(jp_fetch)
        response = await jp_fetch(
            "nbconvert",
            "kap_pdf",
            "kap-vault",
            chart,
            "progress.ipynb",
            params={"download": "true"},
        )
        assert response.body.startswith(b"%PDF")
        assert "attachment" in response.headers["Content-Disposition"]
        reader = PdfReader(io.BytesIO(response.body))
        assert reader.is_encrypted
        reader.decrypt(PDF_PASSPHRASE)
        assert CANARY in "".join(page.extract_text() for page in reader.pages)
        rows = [r for r in clinic.vault.store.audit_rows(patient_id) if r.action == "export"]
        assert [(r.patient, r.actor) for r in rows] == [(patient_id, rows[0].actor)]
        assert len(rows) == 1
        assert rows[0].record is None  # the compiled notebook is no stored record
        # a copy kept in the patient's folder exports too, audited with its record id
        body = json.dumps({"copy_from": f"kap-vault/{chart}/progress.ipynb"})
        await jp_fetch("api", "contents", "kap-vault", chart, method="POST", body=body)
        await jp_fetch("nbconvert", "kap_pdf", "kap-vault", chart, "progress-Copy1.ipynb")
        rows = [r for r in clinic.vault.store.audit_rows(patient_id) if r.action == "export"]
        assert len(rows) == 2
        assert rows[1].record is not None
        assert_no_canary(tmp_path)
        # other formats stay refused even with a passphrase configured
        await refused(jp_fetch("nbconvert", "html", "kap-vault", chart, "progress.ipynb"))
