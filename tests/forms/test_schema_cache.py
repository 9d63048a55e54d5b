"""Schema validation is remembered per content hash: fast when unchanged, strict when changed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kap_notes.forms import TemplateError, load_templates

PROBE = """
import sys
from kap_notes.forms import load_templates
load_templates(use_env=False)
print("jsonschema" in sys.modules)
"""


def _probe(cache: Path) -> str:
    env = {"KAP_NOTES_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    return out.stdout.strip()


def test_unchanged_templates_skip_the_schema_library(tmp_path: Path) -> None:
    assert _probe(tmp_path) == "True"  # first load validates every template
    assert (tmp_path / "validated-templates.json").exists()
    assert _probe(tmp_path) == "False"  # then nothing to re-check


def test_a_changed_template_is_validated_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAP_NOTES_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "clinic"
    folder.mkdir()
    doc = {
        "url": "urn:clinic:form:extra",
        "version": "1.0.0",
        "name": "extra",
        "title": "Extra",
        "kind": "form",
        "items": [{"linkId": "a", "text": "A", "type": "string"}],
    }
    (folder / "extra.yaml").write_text(yaml.safe_dump(doc))
    assert load_templates([folder], use_env=False).get("extra").title == "Extra"
    doc["items"][0]["type"] = "not-a-type"
    (folder / "extra.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(TemplateError, match=r"extra\.yaml"):
        load_templates([folder], use_env=False)
