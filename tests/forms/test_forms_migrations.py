"""Template migration: a dosing v2 renames v1 fields; old notes stay readable."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kap_notes.forms import (
    MigrationError,
    MigrationRegistry,
    get_template,
    load_templates,
    migrate,
    validate,
)
from tests.forms.helpers import dosing_answers, write_yaml


@pytest.fixture
def dosing_v2_folder(tmp_path: Path) -> Path:
    """Dosing v2.0.0: `dose_mg` renamed `initial_dose_mg`; route code `iv` renamed `iv_infusion`."""
    text = Path(get_template("dosing").source).read_text("utf-8")
    text = text.replace("dose_mg", "initial_dose_mg").replace(
        "booster_initial_dose_mg", "booster_dose_mg"
    )
    text = text.replace("{code: iv,", "{code: iv_infusion,").replace(
        "answer: iv}", "answer: iv_infusion}"
    )
    text = text.replace("        iv:\n", "        iv_infusion:\n")
    doc = yaml.safe_load(text)
    doc["version"] = "2.0.0"
    doc["migrations"] = [
        {
            "from_version": "1.0.0",
            "rename": {"dose_mg": "initial_dose_mg"},
            "recode": {"route": {"iv": "iv_infusion"}},
            "drop": ["obsolete_field"],
        }
    ]
    folder = tmp_path / "clinic"
    write_yaml(folder, "dosing_v2.yaml", doc)
    return folder


def test_v1_answers_migrate_to_v2_and_validate(dosing_v2_folder: Path) -> None:
    registry = load_templates([dosing_v2_folder], use_env=False)
    old = dosing_answers("iv") | {"obsolete_field": "x"}
    new = migrate(old, "dosing", "1.0.0", registry=registry)
    assert "dose_mg" not in new
    assert new["initial_dose_mg"] == 35
    assert new["route"] == "iv_infusion"
    assert "obsolete_field" not in new
    assert new["vitals"] == old["vitals"]
    assert old["route"] == "iv"  # the stored v1 answers are untouched
    v2 = registry.get("dosing")
    assert v2.version == "2.0.0"
    assert validate(v2, new).ok, validate(v2, new).messages()
    assert validate(registry.get("dosing", "1.0.0"), old).errors == ()


def test_same_version_is_a_copy() -> None:
    answers = dosing_answers()
    migrated = migrate(answers, "dosing", "1.0.0", "1.0.0")
    assert migrated == answers
    assert migrated is not answers


def test_missing_path_raises_migration_error() -> None:
    with pytest.raises(MigrationError, match="no migration"):
        MigrationRegistry().migrate({}, "urn:x", "1.0.0", "2.0.0")


def test_python_step_can_be_registered() -> None:
    registry = MigrationRegistry()
    registry.register("urn:x", "1.0.0", "1.1.0", lambda a: {**a, "added": True})
    registry.register("urn:x", "1.1.0", "2.0.0", lambda a: {k.upper(): v for k, v in a.items()})
    assert registry.migrate({"a": 1}, "urn:x", "1.0.0", "2.0.0") == {"A": 1, "ADDED": True}
    with pytest.raises(ValueError, match="newer version"):
        registry.register("urn:x", "2.0.0", "1.0.0", dict)
