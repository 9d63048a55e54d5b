"""The attacker of issue 9: someone who can write the vault's database (plain SQL, either backend)
and holds their own keys, but nobody else's. Helpers to act as them and to judge the outcome.

"Can read" is judged twice: through the library (``Session.read_patient`` / ``get_record``) and
cryptographically, the way an attacker who runs their own code would try: open every stored wrap
of the patient with their own private key and decrypt every stored record version with what
opened. A library refusal alone is not enough; the keys must not be there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kap_notes.vault import audit, crypto, keys
from kap_notes.vault.crypto import FAST_KDF, KeyPair, OpenError
from kap_notes.vault.errors import IntegrityError, NotAuthorised, RecordUnreadable
from kap_notes.vault.ids import new_id
from kap_notes.vault.session import Session, wrap_context
from kap_notes.vault.store import AuditRow, Store, UserRow
from tests.postgres.harness import query, raw_db

__all__ = [
    "Forged",
    "append_signed",
    "assert_names_entry",
    "assert_reported",
    "decryptable",
    "forge_user",
    "query",
    "raw_db",
    "raw_keys",
    "session_reads",
    "user_id",
]

#: Errors that mean "the library refused to show this" (the content was not returned).
REFUSALS = (NotAuthorised, RecordUnreadable, IntegrityError)


def user_id(location: str, name: str) -> str:
    """The id of the user called ``name`` (read straight from the table)."""
    rows = query(location, "SELECT user_id FROM users WHERE name = ?", (name,))
    assert rows, f"no user {name} in the users table"
    return str(rows[0][0])


# ----------------------------------------------------------------------------- audit entries
def append_signed(
    store: Store,
    signer: KeyPair,
    actor: str,
    action: str,
    *,
    patient: str | None = None,
    record: str | None = None,
    version: int | None = None,
    blob_sha256: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> AuditRow:
    """Append an audit entry signed with ``signer`` (the attacker's own key), bypassing every
    check a Session might make: the attacker runs their own code against the store.

    ``data`` (the signed policy facts of an act) is passed when the entry format has it, so a
    forged entry is as well-formed as a real one and is refused for its authority alone.
    """
    extra: dict[str, Any] = {}
    if data is not None and "data" in {f.name for f in dataclasses.fields(audit.AuditEvent)}:
        extra["data"] = dict(data)
    event = audit.AuditEvent(actor, action, patient, record, version, blob_sha256, **extra)
    with store.transaction():
        return store.append_audit(event.builder(signer.signing.sign))


# ----------------------------------------------------------------------------- forged users
@dataclass(frozen=True)
class Forged:
    """A user the attacker made up: their row, keys and passphrase."""

    user_id: str
    name: str
    keys: KeyPair
    passphrase: str
    entry: AuditRow  # the self-signed ``user_add`` entry


def forge_user(store: Store, location: str, vault_id: str, name: str, role: str) -> Forged:
    """Insert a user row with fresh keys (wrapped like a real user's) and a ``user_add`` audit
    entry for it signed by the new key itself."""
    pair = KeyPair.generate()
    uid = new_id("user")
    passphrase = f"{name} forged passphrase"
    wrap = keys.wrap_keys(
        pair, passphrase, vault_id=vault_id, user_id=uid, kind="passphrase", params=FAST_KDF
    )
    with raw_db(location) as db:
        db.execute(
            "INSERT INTO users (user_id, name, role, box_public, signing_public, key_wrap,"
            " recovery_wrap, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (uid, name, role, pair.box_public, pair.signing_public, wrap, None, True),
        )
    fingerprint = audit.key_fingerprint(pair.box_public, pair.signing_public)
    facts = {
        "name": name,
        "role": role,
        "box": pair.box_public.hex(),
        "signing": pair.signing_public.hex(),
        "key_wrap": wrap,
        "recovery_wrap": None,
    }
    entry = append_signed(
        store, pair, uid, "user_add", record=uid, blob_sha256=fingerprint, data=facts
    )
    return Forged(uid, name, pair, passphrase, entry)


# ----------------------------------------------------------------------------- reading
def raw_keys(location: str, vault_id: str, pair: KeyPair) -> dict[tuple[str, int], bytes]:
    """Every patient key, by (patient or key-space id, epoch), that ``pair`` opens from any
    stored wrap (whatever recipient the row claims)."""
    rows = query(location, "SELECT patient_id, epoch, recipient, sealed FROM wraps")
    found: dict[tuple[str, int], bytes] = {}
    for patient_id, epoch, recipient, sealed in rows:
        context = wrap_context(vault_id, str(patient_id), int(epoch), str(recipient))
        try:
            found[(str(patient_id), int(epoch))] = crypto.open_from(
                pair.box, bytes(sealed), context
            )
        except OpenError:
            continue
    return found


def decryptable(
    location: str, vault_id: str, pair: KeyPair, record_ids: Iterable[str] | None = None
) -> dict[tuple[str, int], Any]:
    """(record id, version) as sealed in each blob's header → content, for every stored record
    version (of ``record_ids``, or of the whole vault) that ``pair`` decrypts with the keys it
    opens from the stored wraps.

    Each blob is opened under the patient (or process-note space) its own header names, so a
    record moved to another row or space is still judged by the key that sealed it.
    """
    found = raw_keys(location, vault_id, pair)
    rows = query(location, "SELECT record_id, blob FROM record_versions")
    wanted = None if record_ids is None else set(record_ids)
    out: dict[tuple[str, int], Any] = {}
    for record_id, blob in rows:
        if wanted is not None and str(record_id) not in wanted:
            continue
        try:
            header = crypto.read_record_header(bytes(blob))
        except OpenError:
            continue
        key = found.get((header.patient, header.epoch))
        if key is None:
            continue
        try:
            _, content = crypto.open_record(
                key, bytes(blob), vault=vault_id, patient=header.patient, record=header.record
            )
        except OpenError:
            continue
        out[(header.record, header.version)] = content
    return out


def session_reads(session: Session, patient_id: str, record_ids: Iterable[str] = ()) -> set[str]:
    """Record ids the library hands ``session`` for the patient (read_patient, then get_record
    of each of ``record_ids``); refusals count as nothing read."""
    seen: set[str] = set()
    with contextlib.suppress(*REFUSALS):
        seen |= {r.record_id for r in session.read_patient(patient_id)}
    for record_id in record_ids:
        with contextlib.suppress(*REFUSALS):
            seen.add(session.get_record(record_id).record_id)
    return seen


# ----------------------------------------------------------------------------- verdicts
def assert_reported(report: audit.VerifyReport, *words: str) -> None:
    """``audit verify`` failed, and one problem mentions one of ``words`` (case-insensitive)."""
    assert not report.ok, "audit verify passed over an unauthorised change"
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    assert any(pattern.search(p) for p in report.problems), (
        f"no problem mentions any of {words}: {report.problems}"
    )


def assert_names_entry(message: str, seq: int) -> None:
    """An IntegrityError's message names audit entry ``seq``."""
    assert re.search(rf"(?<![\d.]){seq}(?!\d)", message), (
        f"the integrity error does not name audit entry {seq}: {message}"
    )


def users_table_row(location: str, name: str) -> UserRow | None:
    """The users row of ``name`` as the attacker sees it (None if absent)."""
    rows = query(
        location,
        "SELECT user_id, name, role, box_public, signing_public, key_wrap, recovery_wrap, active"
        " FROM users WHERE name = ?",
        (name,),
    )
    if not rows:
        return None
    uid, n, role, box, sig, wrap, rec, active = rows[0]
    return UserRow(
        str(uid), str(n), str(role), bytes(box), bytes(sig), str(wrap), rec, bool(active)
    )
