"""Templates load the same from a wheel (kap_notes/_templates) as from the repository folder."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from kap_notes.forms import load_templates, shipped_templates
from kap_notes.forms import loader as loader_module


def test_wheel_layout_is_preferred_and_loads_identically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo_templates = Path(str(shipped_templates()))
    package = tmp_path / "kap_notes"
    shutil.copytree(repo_templates, package / "_templates")
    original = resources.files

    def files(anchor: Any) -> Any:
        return package if anchor == "kap_notes" else original(anchor)

    from_repo = {(d.url, d.version, d.title) for d in load_templates(use_env=False)}
    monkeypatch.setattr(loader_module.resources, "files", files)
    assert Path(str(shipped_templates())) == package / "_templates"
    from_wheel = load_templates(use_env=False)
    assert {(d.url, d.version, d.title) for d in from_wheel} == from_repo
    assert all(str(package) in d.source for d in from_wheel)
