"""kap_notes.forms: versioned templates, validation, computed values, scoring, flags, migrations.

Pure Python over ``{linkId: answer}`` dicts; imports neither ipywidgets nor jupyter_server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kap_notes.forms.compute import compute, flags
from kap_notes.forms.definition import Answers, FormDefinition, Item, Option
from kap_notes.forms.errors import TemplateError
from kap_notes.forms.issues import Flag, Severity, ValidationIssue, ValidationResult
from kap_notes.forms.loader import (
    ENV_VAR,
    default_registry,
    get_template,
    load_template_file,
    load_templates,
    shipped_templates,
)
from kap_notes.forms.migrations import MigrationError, MigrationRegistry
from kap_notes.forms.presets import apply_preset, preset_rows
from kap_notes.forms.registry import TemplateRegistry
from kap_notes.forms.scoring import score_instrument
from kap_notes.forms.settings import ClinicSettings
from kap_notes.forms.validation import validate
from kap_notes.forms.walk import enabled_keys, prune_disabled


def migrate(
    answers: Mapping[str, Any],
    template: str,
    from_version: str,
    to_version: str | None = None,
    *,
    registry: TemplateRegistry | None = None,
) -> dict[str, Any]:
    """Answers written with `template` (name or url) `from_version`, migrated to `to_version`.

    `to_version` defaults to the newest loaded version; raises MigrationError if no path exists.
    """
    templates = registry or default_registry()
    target = templates.get(template, to_version)
    return MigrationRegistry(templates).migrate(answers, target.url, from_version, target.version)


__all__ = [
    "ENV_VAR",
    "Answers",
    "ClinicSettings",
    "Flag",
    "FormDefinition",
    "Item",
    "MigrationError",
    "MigrationRegistry",
    "Option",
    "Severity",
    "TemplateError",
    "TemplateRegistry",
    "ValidationIssue",
    "ValidationResult",
    "apply_preset",
    "compute",
    "default_registry",
    "enabled_keys",
    "flags",
    "get_template",
    "load_template_file",
    "load_templates",
    "migrate",
    "preset_rows",
    "prune_disabled",
    "score_instrument",
    "shipped_templates",
    "validate",
]
