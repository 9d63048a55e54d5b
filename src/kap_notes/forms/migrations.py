"""Migrate answers written with an older template version to a newer one.

Steps come from the newer template's declarative ``migrations`` list (rename, recode, drop) and from
Python functions registered with `MigrationRegistry.register` for anything the data cannot express.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kap_notes.errors import MigrationError as MigrationError  # noqa: PLC0414 - re-exported
from kap_notes.forms.definition import Migration
from kap_notes.forms.registry import TemplateRegistry, version_key

Step = Callable[[dict[str, Any]], dict[str, Any]]


class MigrationRegistry:
    """Migration steps by (template url, from version) → (to version, step)."""

    def __init__(self, templates: TemplateRegistry | None = None) -> None:
        self._steps: dict[tuple[str, str], tuple[str, Step]] = {}
        for definition in templates or ():
            for migration in definition.migrations:
                self.register(
                    definition.url,
                    migration.from_version,
                    migration.to_version,
                    _declarative(migration),
                )

    def register(self, url: str, from_version: str, to_version: str, step: Step) -> None:
        """Add a step; `step` gets a copy of the answers and returns the migrated answers."""
        if version_key(to_version) <= version_key(from_version):
            raise ValueError(f"migration {from_version} → {to_version} must go to a newer version")
        self._steps[(url, from_version)] = (to_version, step)

    def migrate(
        self, answers: Mapping[str, Any], url: str, from_version: str, to_version: str
    ) -> dict[str, Any]:
        """Apply each step from `from_version` until `to_version` is reached."""
        current: str = from_version
        migrated: dict[str, Any] = {k: _deep_copy(v) for k, v in answers.items()}
        while current != to_version:
            step = self._steps.get((url, current))
            if step is None or version_key(step[0]) > version_key(to_version):
                raise MigrationError(f"no migration of {url} from {current} towards {to_version}")
            current, migrated = step[0], step[1](migrated)
        return migrated


def _declarative(migration: Migration) -> Step:
    def step(answers: dict[str, Any]) -> dict[str, Any]:
        return _apply(answers, migration)

    return step


def _apply(answers: dict[str, Any], migration: Migration) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in answers.items():
        if key in migration.drop:
            continue
        new_key = migration.rename.get(key, key)
        codes = migration.recode.get(new_key) or migration.recode.get(key)
        migrated = value
        if codes is not None and not isinstance(value, (list, dict)) and str(value) in codes:
            migrated = codes[str(value)]
        if isinstance(value, list):
            migrated = [_apply(dict(r), migration) if isinstance(r, Mapping) else r for r in value]
        result[new_key] = migrated
    return result


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
