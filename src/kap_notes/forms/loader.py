"""Find, parse and validate template files; every template is checked at load.

Search order (later folders win a template name): the shipped templates
(``kap_notes/_templates`` in a wheel, the repository's ``templates/`` folder in an editable
install), then each folder in ``KAP_NOTES_TEMPLATE_PATH`` (``os.pathsep``-separated), then folders
passed in code. A folder holds ``forms/*.yaml`` and ``instruments/*.yaml`` or YAML files directly.
For one url the newest version is the default; older versions stay loaded so old notes remain
readable (the shipped ones in ``forms/previous/`` and ``instruments/previous/``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from kap_notes.forms.build import build_definition
from kap_notes.forms.checks import semantic_problems
from kap_notes.forms.definition import FormDefinition
from kap_notes.forms.errors import TemplateError
from kap_notes.forms.registry import TemplateRegistry, version_key
from kap_notes.forms.schema_check import schema_errors

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable

ENV_VAR = "KAP_NOTES_TEMPLATE_PATH"
_SUBFOLDERS = ("forms", "instruments")


def shipped_templates() -> Traversable:
    """The shipped template folder: in the wheel, else the repository's ``templates/``."""
    packaged = resources.files("kap_notes") / "_templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "templates"


def template_folders(
    paths: Iterable[str | os.PathLike[str]] = (), *, use_env: bool = True
) -> list[Traversable]:
    """Folders searched, in order: shipped, ``$KAP_NOTES_TEMPLATE_PATH``, then `paths`."""
    folders: list[Traversable] = [shipped_templates()]
    if use_env:
        env = os.environ.get(ENV_VAR, "")
        folders += [Path(part) for part in env.split(os.pathsep) if part.strip()]
    folders += [Path(p) for p in paths]
    return folders


def load_templates(
    paths: Iterable[str | os.PathLike[str]] = (), *, use_env: bool = True
) -> TemplateRegistry:
    """Load and validate every template; raise TemplateError listing every problem found."""
    problems: list[str] = []
    definitions: list[FormDefinition] = []
    for folder in template_folders(paths, use_env=use_env):
        if not folder.is_dir():
            problems.append(f"{folder}: template folder does not exist")
            continue
        for file in _yaml_files(folder):
            definition = _load_file(file, problems)
            if definition is not None:
                definitions.append(definition)
    definitions = _resolve_instruments(_unique(definitions, problems), problems)
    if problems:
        raise TemplateError(problems)
    return TemplateRegistry(definitions)


def load_template_file(path: str | os.PathLike[str]) -> FormDefinition:
    """Validate one template file on its own (instrument references are not resolved)."""
    problems: list[str] = []
    definition = _load_file(Path(path), problems)
    if definition is None or problems:
        raise TemplateError(problems)
    return definition


@lru_cache(maxsize=8)
def _cached_registry(env_value: str) -> TemplateRegistry:
    return load_templates()


def default_registry() -> TemplateRegistry:
    """The registry for the current ``KAP_NOTES_TEMPLATE_PATH`` (cached per value)."""
    return _cached_registry(os.environ.get(ENV_VAR, ""))


def get_template(name_or_url: str, version: str | None = None) -> FormDefinition:
    """A template by name (``dosing``) or url, newest version unless `version` is given."""
    return default_registry().get(name_or_url, version)


def _yaml_files(folder: Traversable) -> list[Traversable]:
    found: list[Traversable] = []
    subs = [folder / name for name in _SUBFOLDERS]
    for sub in (folder, *subs, *(sub / "previous" for sub in subs)):
        if sub.is_dir():
            found += sorted(
                (f for f in sub.iterdir() if f.is_file() and f.name.endswith((".yaml", ".yml"))),
                key=lambda f: f.name,
            )
    return found


def _load_file(file: Traversable, problems: list[str]) -> FormDefinition | None:
    source = str(file)
    try:
        text = file.read_text("utf-8")
        doc = yaml.safe_load(text)
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        problems.append(f"{source}: not valid YAML: {error}")
        return None
    if not isinstance(doc, dict):
        problems.append(f"{source}: a template must be a YAML mapping with url, version, items")
        return None
    errors = schema_errors(text, doc)
    if errors:
        problems += [f"{source}: {_where(doc, path)}: {message}" for path, message in errors]
        return None
    found = semantic_problems(doc)
    if found:
        problems += [f"{source}: {problem}" for problem in found]
        return None
    return build_definition(doc, source)


def _where(doc: Any, path: Sequence[str | int]) -> str:
    """``item 'vitals > systolic' (items/3/item/2/range)`` for a JSON-Schema error path."""
    links: list[str] = []
    node = doc
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("linkId"), str):
            links.append(node["linkId"])
    pointer = "/".join(str(step) for step in path) or "top level"
    return f"item '{' > '.join(links)}' ({pointer})" if links else pointer


def _unique(definitions: list[FormDefinition], problems: list[str]) -> list[FormDefinition]:
    seen: dict[tuple[str, str], FormDefinition] = {}
    for definition in definitions:
        key = (definition.url, definition.version)
        if key in seen:
            problems.append(
                f"{definition.source}: url {definition.url} version {definition.version} is "
                f"already defined in {seen[key].source}; give a clinic template a newer version"
            )
            continue
        seen[key] = definition
    return list(seen.values())


def _resolve_instruments(
    definitions: list[FormDefinition], problems: list[str]
) -> list[FormDefinition]:
    instruments = [d for d in definitions if d.kind == "instrument"]
    resolved: list[FormDefinition] = []
    for definition in definitions:
        embedded: dict[str, FormDefinition] = {}
        for item, _ in definition.walk():
            if item.instrument_url is None:
                continue
            found = _find_instrument(instruments, item.instrument_url)
            if definition.kind == "instrument":
                problems.append(
                    f"{definition.source}: item '{item.link_id}': "
                    "instruments cannot embed instruments"
                )
            elif found is None:
                problems.append(
                    f"{definition.source}: item '{item.link_id}': instrument "
                    f"'{item.instrument_url}' is not among the loaded templates"
                )
            else:
                embedded[item.instrument_url] = found
        resolved.append(replace(definition, instruments=embedded) if embedded else definition)
    return resolved


def _find_instrument(instruments: list[FormDefinition], reference: str) -> FormDefinition | None:
    url, _, version = reference.partition("|")
    matching = [d for d in instruments if d.url == url and (not version or d.version == version)]
    return max(matching, key=lambda d: version_key(d.version), default=None)
