"""Notebooks that live inside the vault, as Jupyter contents models.

Layout under the vault folder (``kap-vault/`` by default)::

    kap-vault/                     one folder per patient the user can open, named by chart code
    kap-vault/KAP-7F3K2Q/progress.ipynb   the compiled progress notebook (rebuilt when notes change)
    kap-vault/KAP-7F3K2Q/<name>.ipynb     notebooks saved there (records of that patient)

Everything is encrypted with the patient's key; nothing here touches the disk in plaintext.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from kap_notes.model.patient import InvalidInput
from kap_notes.server import outcomes
from kap_notes.service import settings as clinic_settings
from kap_notes.service.patients import (
    chart_code_problem,
    chart_codes,
    is_chart_code,
    resolve_chart_code,
)
from kap_notes.vault.errors import NotAuthorised, UnknownRecord
from kap_notes.vault.session import Session, StoredRecord

PROGRESS = "progress.ipynb"
OTHER_PATIENT = (
    "This notebook holds another patient's data and can't be copied into this patient's "
    "folder; save it in its own patient's folder"
)
NOTEBOOK_KIND = "vault_notebook"
_EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class VaultPath:
    """A path inside the vault folder: nothing, a patient folder, or a notebook in one."""

    chart_code: str | None = None
    name: str | None = None

    @classmethod
    def parse(cls, relative: str) -> VaultPath:
        """Refuses anything but ``<chart code>`` or ``<chart code>/<notebook name>``: a chart code
        must be well formed (see :data:`~kap_notes.service.patients.CHART_CODE_RE`) and a name
        a plain file name, so no path can climb out of a patient's folder or name another."""
        parts = [p for p in relative.strip("/").split("/") if p]
        if len(parts) > 2:
            raise UnknownRecord("the vault folder has one level of patient folders")
        if parts and not is_chart_code(parts[0]):
            raise UnknownRecord(f"no patient folder here: {chart_code_problem(parts[0])}")
        if len(parts) == 2 and not _is_plain_name(parts[1]):
            raise UnknownRecord(f"{parts[1][:40]!r} is not a notebook name a vault folder can hold")
        return cls(*parts)


def _is_plain_name(name: str) -> bool:
    """A file name with no path tricks: not '.'/'..', no backslash or control characters."""
    return (
        name not in (".", "..")
        and len(name) <= 255
        and "\\" not in name
        and all(ch.isprintable() for ch in name)
    )


def _model(path: str, name: str, kind: str, *, writable: bool = True) -> dict[str, Any]:
    return {
        "name": name,
        "path": path,
        "type": kind,
        "format": None,
        "content": None,
        "created": _EPOCH,
        "last_modified": _EPOCH,
        "writable": writable,
        "mimetype": None,
        "size": None,
        "hash": None,
        "hash_algorithm": None,
    }


def folder_model(folder: str) -> dict[str, Any]:
    """The vault folder as it appears in the file browser's root listing."""
    return _model(folder, folder, "directory", writable=False)


def _patients(session: Session) -> dict[str, list[str]]:
    """Well-formed chart code → ids of the patients carrying it, for every patient this user can
    open (a code shared by two patients is listed once and refused when opened)."""
    return {code: ids for code, ids in chart_codes(session).items() if is_chart_code(code)}


def _patient_id(session: Session, chart_code: str) -> str:
    """The one patient a folder names; refuses an unknown or shared chart code."""
    return resolve_chart_code(_patients(session), chart_code)


def _saved(session: Session, patient_id: str) -> dict[str, StoredRecord]:
    return {
        str(r.content["name"]): r
        for r in session.read_patient(patient_id)
        if r.content.get("kind") == NOTEBOOK_KIND
    }


def get(
    session: Session, folder: str, relative: str, *, content: bool, require_hash: bool = False
) -> dict[str, Any]:
    """The contents model of ``relative`` (inside the vault folder); with ``require_hash`` a
    notebook's model carries the SHA-256 of its JSON (JupyterLab asks for it when opening)."""
    if outcomes.is_outcomes(relative):  # the clinic outcomes notebook (server/outcomes.py)
        base_model = _model(f"{folder}/{outcomes.OUTCOMES}", outcomes.OUTCOMES, "notebook")
        return outcomes.outcomes_model(
            session, base_model, content=content, require_hash=require_hash
        )
    where = VaultPath.parse(relative)
    base = folder if where.chart_code is None else f"{folder}/{where.chart_code}"
    if where.chart_code is None:
        model = _model(folder, folder, "directory", writable=False)
        if content:
            model["content"] = [
                _model(f"{folder}/{code}", code, "directory") for code in sorted(_patients(session))
            ]
            if outcomes.may_open(session):
                name = outcomes.OUTCOMES
                model["content"].append(
                    _model(f"{folder}/{name}", name, "notebook", writable=False)
                )
            model["format"] = "json"
        return model
    patient_id = _patient_id(session, where.chart_code)
    if where.name is None:
        model = _model(base, where.chart_code, "directory")
        if content:
            names = [PROGRESS, *sorted(_saved(session, patient_id))]
            model["content"] = [
                _model(f"{base}/{n}", n, "notebook", writable=n != PROGRESS) for n in names
            ]
            model["format"] = "json"
        return model
    model = _model(f"{base}/{where.name}", where.name, "notebook", writable=where.name != PROGRESS)
    if content or require_hash:
        text = _marked(_notebook_json(session, patient_id, where.name), patient_id)
        if content:
            import nbformat  # noqa: PLC0415 - loaded by the first notebook served, not at start

            model["content"] = nbformat.reads(text, 4)
            model["format"] = "json"
        if require_hash:
            model["hash"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
            model["hash_algorithm"] = "sha256"
    return model


def _notebook_json(session: Session, patient_id: str, name: str) -> str:
    if name == PROGRESS:  # compiled under the vault's clinic settings, like every other path
        from kap_notes.compile.compiled import compile_patient  # noqa: PLC0415 - pandas, matplotlib

        settings = clinic_settings.current(session).settings
        return compile_patient(session, patient_id, settings=settings).notebook_json
    stored = _saved(session, patient_id).get(name)
    if stored is None:
        raise UnknownRecord(f"no notebook {name} in this patient's folder")
    return json.dumps(stored.content["notebook"])


def save(session: Session, folder: str, relative: str, model: dict[str, Any]) -> dict[str, Any]:
    """Store a notebook encrypted in the patient's folder (a new version if it exists)."""
    if outcomes.is_outcomes(relative):
        raise InvalidInput(["the outcomes notebook is compiled from the cohort; save a copy"])
    where = VaultPath.parse(relative)
    if where.chart_code is None or where.name is None:
        raise InvalidInput(["only notebooks can be saved in the vault, inside a patient folder"])
    if where.name == PROGRESS:
        raise InvalidInput(["the progress notebook is compiled from the notes; save a copy"])
    if model.get("type") != "notebook" or not where.name.endswith(".ipynb"):
        raise InvalidInput(["only notebooks (.ipynb) can be kept in the vault"])
    patient_id = _patient_id(session, where.chart_code)
    if marked_patient(model["content"]) not in (None, patient_id):
        raise NotAuthorised(OTHER_PATIENT)
    import nbformat  # noqa: PLC0415 - loaded by the first save, not at start

    notebook = nbformat.from_dict(model["content"])
    nbformat.validate(notebook)
    existing = _saved(session, patient_id).get(where.name)
    record = {"kind": NOTEBOOK_KIND, "name": where.name, "notebook": notebook}
    session.put_record(
        patient_id,
        record,
        record_id=existing.record_id if existing else None,
        expected_version=existing.version if existing else None,
    )
    return get(session, folder, relative, content=False)


def exists(session: Session, folder: str, relative: str) -> bool:
    if outcomes.is_outcomes(relative):
        return outcomes.may_open(session)
    try:
        where = VaultPath.parse(relative)
        if where.chart_code is None or where.name is None:
            get(session, folder, relative, content=False)
            return True
        listing = get(session, folder, where.chart_code, content=True)
    except UnknownRecord:
        return False
    return where.name in [m["name"] for m in listing["content"]]


# ------------------------------------------------------------------ marking and auditing
#: ``metadata.kap_notes[VAULT_MARK]`` names the patient whose vault folder a notebook came from.
VAULT_MARK = "vault_patient"


def _marked(text: str, patient_id: str) -> str:
    """The notebook JSON with its patient marked, so its content is recognised (and refused)
    wherever it is sent outside that patient's folder."""
    notebook = json.loads(text)
    notebook.setdefault("metadata", {}).setdefault("kap_notes", {})[VAULT_MARK] = patient_id
    return json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False)


def marked_patient(notebook: Any) -> str | None:
    """The patient a notebook's content belongs to (its vault mark, or the compiled progress
    notebook's ``patient_id``), or None for an ordinary notebook."""
    metadata = notebook.get("metadata") if isinstance(notebook, dict) else None
    kap = metadata.get("kap_notes") if isinstance(metadata, dict) else None
    if not isinstance(kap, dict):
        return None
    patient = kap.get(VAULT_MARK) or kap.get("patient_id")
    return str(patient) if patient else None


def log_export(session: Session, relative: str) -> None:
    """One ``export`` audit entry for the notebook at ``relative``: its patient, and the
    record it is stored as (none for the compiled progress notebook)."""
    if outcomes.is_outcomes(relative):  # the cohort it shows was de-identified
        session.log("export")
        return
    where = VaultPath.parse(relative)
    if where.chart_code is None or where.name is None:
        raise InvalidInput(["only notebooks in a patient's folder can be exported"])
    patient_id = _patient_id(session, where.chart_code)
    record_id = None
    if where.name != PROGRESS:
        stored = _saved(session, patient_id).get(where.name)
        if stored is None:
            raise UnknownRecord(f"no notebook {where.name} in this patient's folder")
        record_id = stored.record_id
    session.log("export", patient_id, record_id)
