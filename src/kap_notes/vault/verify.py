"""``audit verify``: replay the whole signed log from the genesis entry, name the first entry its
signer was not authorised for, then hold every table against what the log says."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kap_notes.vault import trust
from kap_notes.vault.audit import VerifyReport, check_checkpoints, verify_legacy
from kap_notes.vault.policy import Unauthorised
from kap_notes.vault.store import Store

LEGACY_FORMAT = "kap-vault-1"


def verify_vault(
    store: Store, vault_id: str, *, checkpoints: Iterable[Mapping[str, Any]] = ()
) -> VerifyReport:
    """Everything ``audit verify`` checks, in one consistent snapshot of the store."""
    with store.snapshot():
        if store.get_meta("format") == LEGACY_FORMAT:
            return verify_legacy(store, vault_id, checkpoints)
        report = VerifyReport()
        rows = list(store.audit_rows())
        report.entries = len(rows)
        try:
            policy = trust.from_genesis(store, vault_id)
        except Unauthorised as exc:
            report.problems.append(str(exc))
            return report
        heads = {row.seq: row.hash for row in rows}
        keys = {uid: bytes.fromhex(u.signing) for uid, u in policy.users.items()}
        report.problems.extend(check_checkpoints(checkpoints, vault_id, heads, keys))
        report.problems.extend(trust.table_problems(store, policy))
        report.records = len(policy.records)
        return report
