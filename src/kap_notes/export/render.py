"""Typst rendering in memory: report template + JSON data (images as byte arrays) → PDF bytes.

The template source is read from ``templates/report/`` (no PHI); the data travels through
``sys.inputs`` and the PDF comes back as bytes. Nothing is written to disk.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import typst

from kap_notes.errors import ExportError
from kap_notes.forms.loader import shipped_templates

__all__ = ["ExportError", "render_pdf", "report_folder"]


@lru_cache(maxsize=1)
def report_folder() -> Path:
    """The folder holding the typst report templates (``templates/report``)."""
    return Path(str(shipped_templates() / "report"))


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return list(bytes(value))  # typst: bytes(array of integers)
    raise TypeError(f"cannot put {type(value).__name__} into a report")


def render_pdf(template: str, data: Mapping[str, Any]) -> bytes:
    """Compile ``templates/report/<template>.typ`` with ``data`` (as ``sys.inputs.data``)."""
    folder = report_folder()
    source = (folder / f"{template}.typ").read_bytes()
    payload = json.dumps(data, default=_json_default, ensure_ascii=False, separators=(",", ":"))
    try:
        compiler = typst.Compiler(root=str(folder), ignore_system_fonts=True)
        pdf = compiler.compile(
            input=source,
            format="pdf",
            sys_inputs={"data": payload},
            pdf_tags=False,  # tagging multiplies the object count and pypdf encryption time by 4
        )
    except typst.TypstError as exc:
        raise ExportError(f"the {template} report could not be typeset: {exc.message}") from exc
    if not isinstance(pdf, bytes):
        raise ExportError(f"the {template} report produced no PDF")
    return pdf
