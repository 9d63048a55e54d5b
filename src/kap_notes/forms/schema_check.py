"""JSON Schema validation of template documents, remembered per content hash.

fastjsonschema checks a template (all 16 in a few ms, after ~0.1 s compiling the schema once per
process); ``jsonschema`` (about a second to import: an optional format-checker compiles a grammar)
is loaded only to explain a template that fails, listing every problem with its path. A template
is validated once per distinct content (and schema); the SHA-256 of what passed is kept in the
user's cache folder. Templates are clinic
data, not PHI, and a hash reveals nothing anyway. Any change to a template or to the schema
changes the hash, so it is validated again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

_CACHE_NAME = "validated-templates.json"
_MAX_ENTRIES = 2000


def cache_file() -> Path:
    """Where passing hashes are remembered (``KAP_NOTES_CACHE_DIR`` or the XDG cache)."""
    base = os.environ.get("KAP_NOTES_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return (root if os.environ.get("KAP_NOTES_CACHE_DIR") else root / "kap-notes") / _CACHE_NAME


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return (resources.files("kap_notes.forms") / "template.schema.json").read_text("utf-8")


def _digest(text: str) -> str:
    return hashlib.sha256((_schema_text() + "\0" + text).encode("utf-8")).hexdigest()


def _known() -> set[str]:
    try:
        return set(json.loads(cache_file().read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return set()


def _remember(digests: set[str]) -> None:
    path = cache_file()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(sorted(digests)[-_MAX_ENTRIES:], out)
        os.replace(temporary, path)


@lru_cache(maxsize=1)
def _fast() -> Callable[[Any], Any]:
    import fastjsonschema  # noqa: PLC0415 - only on a cache miss

    return cast(Callable[[Any], Any], fastjsonschema.compile(json.loads(_schema_text())))


def _explain(doc: Any) -> list[tuple[list[Any], str]]:
    """Every violation with its path (jsonschema: slow to import, only for a failing template)."""
    from jsonschema import Draft202012Validator  # noqa: PLC0415

    schema = json.loads(_schema_text())
    Draft202012Validator.check_schema(schema)
    errors = sorted(
        Draft202012Validator(schema).iter_errors(doc), key=lambda e: list(map(str, e.path))
    )
    return [(list(e.absolute_path), str(e.message)) for e in errors]


def schema_errors(text: str, doc: Any) -> list[tuple[list[Any], str]]:
    """``(path, message)`` for every schema violation of ``doc`` (parsed from ``text``)."""
    digest = _digest(text)
    known = _known()
    if digest in known:
        return []
    import fastjsonschema  # noqa: PLC0415

    try:
        _fast()(doc)
    except fastjsonschema.JsonSchemaValueException:
        errors = _explain(doc)
        if errors:
            return errors
    _remember(known | {digest})
    return []
