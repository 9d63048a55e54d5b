"""Shared code lists a template names with ``codeList`` instead of repeating the options.

One source per list: the sex codes live in :mod:`kap_notes.model.patient` (registration and FHIR
export use them too), so the preparation form cannot drift from them.
"""

from __future__ import annotations

from collections.abc import Mapping

from kap_notes.model.patient import SEX_CODES

#: Code list name → {code: display}.
CODE_LISTS: Mapping[str, Mapping[str, str]] = {"sex": SEX_CODES}


def code_list_options(name: str) -> list[dict[str, str]]:
    """The ``options`` of code list ``name`` as a template would spell them."""
    return [{"code": code, "display": display} for code, display in CODE_LISTS[name].items()]
