"""Schemathesis hooks (loaded by ``st run`` through ``SCHEMATHESIS_HOOKS``): let generated bodies
sometimes carry ids and names that exist in the vault, so operations get past "unknown patient"
to their real work (forms, sections, notes, drafts) with the rest of the body still generated.

``KAP_FUZZ_VALUES`` holds ``{field: [values ...]}`` (JSON). A swap is kept only if the body stays
as valid or invalid (against the operation's declaration) as it was generated: a case generated
to break the schema stays broken, so ``negative_data_rejection`` still means what it says.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from kap_notes.service.requests import REQUESTS

VALUES: dict[str, list[str]] = json.loads(os.environ.get("KAP_FUZZ_VALUES") or "{}")
OPS = "/kap-notes/api/ops/"
VALIDATORS = {name: Draft202012Validator(r.schema()) for name, r in REQUESTS.items()}


@schemathesis.hook
def flatmap_body(context: Any, body: Any) -> Any:
    path = str(getattr(getattr(context, "operation", None), "path", ""))
    validator = VALIDATORS.get(path.removeprefix(OPS)) if path.startswith(OPS) else None
    if validator is None or not isinstance(body, dict) or len(repr(body)) > 20_000:
        return st.just(body)  # unlock, settings, confirmations, huge bodies: as generated
    names = [k for k, v in body.items() if k in VALUES and isinstance(v, str)]
    if not names:
        return st.just(body)
    valid = validator.is_valid(body)

    def swap(picked: tuple[str, ...]) -> dict[str, Any]:
        swapped = {**body, **dict(zip(names, picked, strict=True))}
        return swapped if validator.is_valid(swapped) == valid else body

    return st.tuples(*(st.sampled_from([body[n], *VALUES[n]]) for n in names)).map(swap)
