"""The kernel-facing API: the session hook, DataFrames, and the compiled notebook re-run live."""

from __future__ import annotations

import copy
import json
from typing import Any

import nbclient
import nbformat
import pytest

from kap_notes import api
from kap_notes.compile import compile_patient
from kap_notes.vault.errors import VaultLocked
from tests.compile.conftest import Course12
from tests.conftest import PASSPHRASES


def test_api_exports_exactly_its_public_names() -> None:
    assert sorted(api.__all__) == [
        "cohort",
        "current_session",
        "patient_frames",
        "show",
        "show_overview",
        "use_session",
    ]


def test_without_a_session_the_vault_is_locked(recorded: Course12) -> None:
    with pytest.raises(VaultLocked, match="unlock it"):
        api.current_session()
    api.use_session(recorded.sam)
    assert api.current_session() is recorded.sam
    recorded.sam.lock()
    with pytest.raises(VaultLocked, match="unlock it"):
        api.patient_frames(recorded.patient_id)


def test_patient_frames_have_the_course_rows(recorded: Course12) -> None:
    api.use_session(recorded.sam)
    frames = api.patient_frames(recorded.patient_id)
    assert sorted(frames) == ["adverse_events", "dosing", "flags", "notes", "scores", "vitals"]
    steps = recorded.course.steps
    dosing = [s.answers for s in steps if s.form == "dosing"]
    assert len(frames["dosing"]) == len(dosing)
    assert list(frames["dosing"]["dose_mg"]) == [a["dose_mg"] for a in dosing]
    assert len(frames["vitals"]) == sum(len(a["vitals"]) for a in dosing)
    assert list(frames["vitals"]["systolic"]) == [
        v["systolic"] for a in dosing for v in a["vitals"]
    ]
    assert len(frames["adverse_events"]) == sum(len(a["adverse_events"]) for a in dosing)
    assert len(frames["scores"]) == sum("phq9" in s.answers for s in steps)
    assert list(frames["notes"]["note_id"]) == recorded.note_ids  # process note left out
    cosigned = frames["notes"].set_index("note_id")["status"]
    assert {cosigned[n] for n in recorded.cosigned} == {"cosigned"}


def test_show_rejects_unknown_sections(recorded: Course12) -> None:
    api.use_session(recorded.sam)
    with pytest.raises(ValueError, match="unknown section 'charts'"):
        api.show(recorded.patient_id, "charts")


def _data(cell: dict[str, Any]) -> list[dict[str, Any]]:
    return [o["data"] for o in cell["outputs"]]


def test_the_compiled_notebook_reruns_in_a_real_kernel(recorded: Course12) -> None:
    """Given the compiled notebook, when a kernel with the vault unlocked runs it, then every
    section shows what was pre-rendered and the last cell loads the DataFrames."""
    compiled = compile_patient(recorded.sam, recorded.patient_id).notebook_json
    nb = nbformat.reads(compiled, as_version=4)
    unlock = nbformat.v4.new_code_cell(
        "from kap_notes import api\n"
        "from kap_notes.vault.crypto import FAST_KDF\n"
        "from kap_notes.vault.vault import Vault\n"
        f"session = Vault.open({str(recorded.clinic.path)!r}, kdf_floor=FAST_KDF)"
        f".unlock('sam', {PASSPHRASES['sam']!r})\n"
        "api.use_session(session)",
        id="test-unlock",
    )
    ran = copy.deepcopy(nb)
    ran.cells.insert(0, unlock)
    nbclient.NotebookClient(ran, timeout=120, kernel_name="python3").execute()
    expected = [c for c in json.loads(compiled)["cells"] if c["cell_type"] == "code"]
    executed = [c for c in ran.cells[1:] if c.cell_type == "code"]
    for before, after in zip(expected[:-1], executed[:-1], strict=True):
        assert _data(after) == _data(before), before["id"]
    last = executed[-1].outputs[0]["data"]["text/plain"]
    assert last == "['adverse_events', 'dosing', 'flags', 'notes', 'scores', 'vitals']"
