"""Compiled artefacts keep one stored version: the newest.

A compiled notebook is rebuilt from the notes whenever they change; keeping every rebuild would
make the vault grow by the notebook's size on every compile while adding nothing the notes and
the audit log do not already hold. After writing a new version its author prunes the older ones
in one transaction with a signed ``prune`` entry naming the version kept and its digest. The
log keeps every write entry (and its hash), so ``audit verify`` still replays the whole chain;
the policy forgets the pruned versions' digests, so a pruned version put back into the store is
reported, as is any change to the kept one.

Only compiled artefacts are pruned (the caller says what the record is; notes are never
pruned): the rules let a record's author prune only an unsealed record, so no signed note,
addendum or review can lose a version this way.
"""

from __future__ import annotations

from kap_notes.vault import crypto
from kap_notes.vault.errors import NotAuthorised, UnknownRecord
from kap_notes.vault.session import Session

__all__ = ["prune_versions"]


def prune_versions(session: Session, space: str, record_id: str, keep: int) -> int:
    """Drop the stored versions of ``record_id`` (in patient space ``space``) older than
    ``keep``, which must be its newest; returns how many went (0: nothing to prune)."""
    if session.record_author(record_id) != session.user_id:
        raise NotAuthorised(f"only the author of record {record_id} prunes its versions")
    if keep <= 1:
        return 0
    with session.writing():
        row = session.store.get_record(record_id)
        if row is None or row.version != keep or row.patient_id != space:
            raise UnknownRecord(f"record {record_id} has no newest version {keep} to keep")
        dropped = session.store.delete_versions_before(record_id, keep)
        if dropped:
            session.audit("prune", space, record_id, keep, crypto.sha256(row.blob).hex())
    return dropped
