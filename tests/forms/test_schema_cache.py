"""Schema validation is remembered per content hash: fast when unchanged, strict when changed."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from kap_notes.forms import TemplateError, load_templates
from kap_notes.forms.schema_check import schema_errors

PROBE = """
import sys
from kap_notes.forms import load_templates
load_templates(use_env=False)
print("fastjsonschema" in sys.modules, "jsonschema" in sys.modules)
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
    # first load validates every template with fastjsonschema; jsonschema (~1 s) is not imported
    assert _probe(tmp_path) == "True False"
    assert (tmp_path / "validated-templates.json").exists()
    assert _probe(tmp_path) == "False False"  # then nothing to re-check


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
    with pytest.raises(TemplateError, match=r"extra\.yaml: item 'a' \(items/0/type\)"):
        load_templates([folder], use_env=False)


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a template document."""
    found = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*here, index))
    return found


DOSING = yaml.safe_load((Path(__file__).parents[2] / "templates/forms/dosing.yaml").read_text())
PATHS = _paths(DOSING)[1:]
ODD = st.sampled_from([None, True, 3, 2.5, "", "group", "decimal", "choice", [], {}, ["x"]])


@settings(max_examples=25, deadline=None)
@given(path=st.sampled_from(PATHS), value=ODD, delete=st.booleans())
def test_fast_check_and_jsonschema_agree_on_templates(
    tmp_path_factory: pytest.TempPathFactory, path: tuple[Any, ...], value: Any, delete: bool
) -> None:
    """A mutated dosing template: refused exactly when jsonschema refuses it, with a path."""
    doc = copy.deepcopy(DOSING)
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    schema = json.loads((resources.files("kap_notes.forms") / "template.schema.json").read_text())
    expected = Draft202012Validator(schema).is_valid(doc)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KAP_NOTES_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        errors = schema_errors(json.dumps(doc), doc)
    assert (not errors) == expected
    assert all(isinstance(where, list) and message for where, message in errors)
