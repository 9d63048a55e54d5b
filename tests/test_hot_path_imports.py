"""The paths a clinician waits on never import jsonschema (~1 s) or nbformat's validator:
requests and templates are checked by fastjsonschema, compiled notebooks are validated in tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import sys
from kap_notes.compile.cells import NotebookBuilder, validated_json
from kap_notes.forms import load_templates
from kap_notes.service.requests import check_operation

load_templates(use_env=False)  # a cache miss: every template checked
check_operation("save_draft", {"patient_id": "p", "form": "dosing", "answers": {"w": 70}})
book = NotebookBuilder()
book.markdown("header", "# Progress")
assert validated_json(book.notebook({})).startswith("{")
print(sorted(m for m in ("jsonschema", "nbformat") if m in sys.modules))
"""


def test_checks_and_compile_do_not_import_jsonschema(tmp_path: Path) -> None:
    env = {"KAP_NOTES_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "validated-templates.json").exists()  # the templates were checked
