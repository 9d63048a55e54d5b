"""The public API of kap_notes.forms is explicit and free of UI imports."""

from __future__ import annotations

import subprocess
import sys

import kap_notes.forms


def test_all_names_exist() -> None:
    required = {
        "load_templates", "get_template", "FormDefinition", "validate", "compute", "flags",
        "ValidationIssue", "ValidationResult", "ClinicSettings", "migrate",
    }  # fmt: skip
    assert required <= set(kap_notes.forms.__all__)
    for name in kap_notes.forms.__all__:
        assert hasattr(kap_notes.forms, name), name


def test_forms_does_not_import_ipywidgets_or_jupyter_server() -> None:
    code = (
        "import sys, kap_notes.forms as f; f.validate(f.get_template('dosing'), {});"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('ipywidgets', 'jupyter_server')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
