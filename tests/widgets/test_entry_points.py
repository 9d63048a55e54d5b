"""The notebook entry points the launcher tiles run, against a real vault (no kernel needed)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from jupyter_core.paths import jupyter_path

import kap_notes
from kap_notes.service.demo import record_course
from kap_notes.service.synthetic import synthetic_course
from tests.conftest import PASSPHRASES, Clinic


def test_public_api_is_explicit() -> None:
    assert kap_notes.__all__ == [
        "__version__",
        "cohort",
        "open_form",
        "open_note",
        "open_progress",
        "open_review_queue",
    ]
    for name in kap_notes.__all__[1:]:
        assert callable(getattr(kap_notes, name))
    assert "_jupyter_labextension_paths" not in kap_notes.__all__  # a Jupyter hook, not API


def test_labextension_paths_name_the_built_extension() -> None:
    """The hook names ``kap_notes/labextension`` (present in a source or editable tree); an
    installed wheel has it only as shared-data, under the hook's ``dest`` in a Jupyter data dir."""
    [spec] = kap_notes._jupyter_labextension_paths()
    assert spec == {"src": "labextension", "dest": "kap-notes"}
    package = Path(kap_notes.__file__).parent
    if package.parent.name == "src":  # editable or source tree: the hook's path must exist
        built = package / spec["src"]
    else:  # a wheel: the shared-data copy JupyterLab reads
        built = next(
            Path(d) / spec["dest"]
            for d in jupyter_path("labextensions")
            if (Path(d) / spec["dest"] / "package.json").is_file()
        )
    manifest = json.loads((built / "package.json").read_text(encoding="utf-8"))
    assert manifest["name"] == spec["dest"]
    assert manifest["version"] == kap_notes.__version__
    assert manifest["jupyterlab"]["_build"]["load"].startswith("static/")
    assert (built / manifest["jupyterlab"]["_build"]["load"]).is_file()


def test_review_queue_widget_cosigns_and_returns(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    course = synthetic_course(31, start=dt.date(2026, 5, 4), boosters=0)
    _, notes = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    asked: list[dict[str, object]] = []

    def askpass(request: dict[str, object]) -> str:
        asked.append(request)
        return PASSPHRASES["sam"]

    queue = kap_notes.open_review_queue(session=clinic.unlock("sam"), askpass=askpass)
    assert len(queue.rows.children) == len(notes)
    first = queue.rows.children[0]
    buttons = first.children[1].children
    buttons[0].click()  # preview
    assert "kap-preview-title" in queue.preview.value
    buttons[1].click()  # co-sign
    assert len(queue.rows.children) == len(notes) - 1
    assert asked[0]["action"] == "cosign"
    assert asked[0]["chart_code"] == course.profile["chart_code"]
    second = queue.rows.children[0].children[1].children
    second[3].click()  # return without a comment: refused, nothing changes
    assert "needs a comment" in queue.message.value
    second[2].value = "Please add the escort's name"
    second[3].click()
    assert len(queue.rows.children) == len(notes) - 2
    assert [a["action"] for a in asked] == ["cosign", "return"]


def test_progress_launcher_compiles_the_chosen_patient(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    course = synthetic_course(32, start=dt.date(2026, 5, 4), boosters=0)
    patient, _ = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    launcher = kap_notes.open_progress(session=tess)
    assert launcher.compile() is None
    assert "Choose a patient" in launcher.message.value
    launcher.patient.value = patient
    assert "dosing · signed" in launcher.notes.value
    path = launcher.compile()
    assert path == f"kap-vault/{course.profile['chart_code']}/progress.ipynb"
    assert "rebuilt" in launcher.message.value
    launcher.compile()
    assert "up to date" in launcher.message.value


def test_open_form_reopens_a_draft_and_shows_signed_notes_read_only(clinic: Clinic) -> None:
    tess = clinic.unlock("tess")
    course = synthetic_course(33, start=dt.date(2026, 5, 4), boosters=0)
    patient, notes = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    form = kap_notes.open_form("intention", patient=patient, session=tess)
    assert form.view is not None
    form.view.value = {"setting": "remote", "hopes": "Half-typed synthetic hope"}
    saved = form.view.save_draft()
    assert saved is not None
    assert saved.ok
    draft_id = form.view.controller.note_id  # type: ignore[union-attr]
    reopened = kap_notes.open_form("intention", note=draft_id, session=tess)
    assert reopened.view is not None
    assert reopened.view.value == {"setting": "remote", "hopes": "Half-typed synthetic hope"}
    assert not reopened.view.locked
    signed = kap_notes.open_form(
        "dosing", note=notes[2], session=tess, askpass=lambda _request: PASSPHRASES["tess"]
    )
    assert signed.view is not None
    assert signed.view.locked
    assert signed.view.value["dose_mg"] == course.steps[2].answers["dose_mg"]
    assert signed.view.add_addendum("Synthetic addendum from a reopened note") is not None
    assert "Addendum added" in signed.view.status_text


def test_progress_launcher_exports_an_encrypted_pdf(clinic: Clinic) -> None:
    import base64  # noqa: PLC0415
    import io  # noqa: PLC0415
    import re  # noqa: PLC0415

    import pypdf  # noqa: PLC0415

    tess = clinic.unlock("tess")
    course = synthetic_course(34, start=dt.date(2026, 5, 4), boosters=0)
    patient, _ = record_course(tess, course, passphrase=PASSPHRASES["tess"])
    launcher = kap_notes.open_progress(session=tess)
    launcher.patient.value = patient
    passphrase = launcher.export_pdf()
    assert passphrase is not None
    assert passphrase in launcher.download.value
    encoded = re.search(r"base64,([A-Za-z0-9+/=]+)", launcher.download.value)
    assert encoded is not None
    reader = pypdf.PdfReader(io.BytesIO(base64.b64decode(encoded.group(1))))
    assert reader.is_encrypted
    assert reader.decrypt("not it") == pypdf.PasswordType.NOT_DECRYPTED
    assert reader.decrypt(passphrase) != pypdf.PasswordType.NOT_DECRYPTED
    assert course.profile["chart_code"] in reader.pages[0].extract_text()
    assert "export" in [r.action for r in clinic.vault.store.audit_rows(patient)]
