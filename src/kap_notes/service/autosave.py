"""Autosave without an audit entry per keystroke: a draft's sealed autosave buffer.

A form autosaves every few seconds. Writing each autosave as a record version would append one
audit entry per save (the chain would grow with typing, not with notes). Instead, while one
session keeps editing a draft whose audited head it wrote itself, autosaves go to the author's
*autosave buffer* for that draft, and the next audited version (closing the form, signing, the
first save after an unlock) carries what was typed:

* one audited version when the editing session starts (the first save), one when it ends
  (:func:`close_draft`, or the ``sign`` entry itself): audit entries per note stop growing with
  autosaves;
* the buffer lives in ``meta`` as ``draft_buffer:<user id>:<record id>`` (random ids only),
  AES-256-GCM under a key derived from the author's private keys *and* the patient key of its
  epoch, bound to the vault, the author, the record, its space and the audited version it
  follows. Nobody else can forge, read or move one (another clinician with the patient key lacks
  the author's key); shredding or revoking (no patient key) leaves it unreadable to all.
* the buffer decides nothing about access or currency: it is never part of the record. A
  version reaches the record only through an audited write by its author (checked by the log as
  before). What a database writer can still do to it: drop it or put back an older buffer of
  the same draft and version — the author then sees older typing on reload (like a crash); within
  a session the session's own count notices it (:class:`IntegrityError`). A buffer that does
  not open is refused, never ignored.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kap_notes.vault import crypto
from kap_notes.vault.crypto import OpenError
from kap_notes.vault.errors import IntegrityError
from kap_notes.vault.session import Session

PREFIX = "draft_buffer:"
_LABEL = b"kap-notes draft buffer v1\x00"


@dataclass(frozen=True)
class Buffered:
    """What an autosave buffer holds: the note record typed after audited version ``base``."""

    base: int
    count: int
    content: dict[str, Any]


def _meta_key(user_id: str, record_id: str) -> str:
    return f"{PREFIX}{user_id}:{record_id}"


def _key(session: Session, space: str, epoch: int) -> bytes:
    own = crypto.subkey(session.key_pair, _LABEL + session.vault.vault_id.encode())
    return crypto.sha256(own + session.patient_key(space, epoch))


def _aad(session: Session, space: str, record_id: str, epoch: int, base: int) -> bytes:
    vid = session.vault.vault_id
    return crypto.canonical_json(
        ["kap-notes draft buffer", vid, session.user_id, space, record_id, epoch, base]
    )


def write(
    session: Session, space: str, record_id: str, base: int, content: Mapping[str, Any]
) -> int:
    """Keep ``content`` as the author's buffer of ``record_id`` after audited version ``base``
    (one transaction, no audit entry). Returns the buffer's count in this session."""
    kept_base, kept_count = session.memo.get(("buffer", record_id), (base, 0))
    count = kept_count + 1 if kept_base == base else 1
    epoch = session.patient(space).epoch
    raw = crypto.canonical_json({"base": base, "count": count, "content": dict(content)})
    sealed = crypto.seal_secret(
        _key(session, space, epoch), raw, _aad(session, space, record_id, epoch, base)
    )
    text = f"{epoch}:{base}:" + base64.b64encode(sealed).decode("ascii")
    with session.store.transaction(durable=False):  # a later audited version is durable
        session.store.set_meta(_meta_key(session.user_id, record_id), text)
    session.memo[("buffer", record_id)] = (base, count)
    return count


def read(session: Session, space: str, record_id: str, head: int) -> Buffered | None:
    """This user's buffer of ``record_id`` if it follows audited version ``head`` (None if there
    is none, or it follows an older version). :class:`IntegrityError` if it does not open as
    this user's buffer of this record, or is older than this session last wrote."""
    text = session.store.get_meta(_meta_key(session.user_id, record_id))
    if not text:
        return None
    try:
        epoch_text, base_text, body = text.split(":", 2)
        epoch, base = int(epoch_text), int(base_text)
    except ValueError as exc:
        raise _tampered(record_id) from exc
    if base != head:
        return None  # a later audited version carries newer typing (or discarded it)
    try:
        key = _key(session, space, epoch)
        raw = crypto.open_secret(
            key, base64.b64decode(body), _aad(session, space, record_id, epoch, base)
        )
        found = json.loads(raw)
    except (OpenError, ValueError) as exc:
        raise _tampered(record_id) from exc
    kept = session.memo.get(("buffer", record_id))
    if kept is not None and kept[0] == base and found["count"] < kept[1]:
        raise _tampered(record_id)
    return Buffered(base, int(found["count"]), dict(found["content"]))


def clear(session: Session, record_id: str) -> None:
    """*tx* — forget this user's buffer of ``record_id`` (an audited version now carries it)."""
    session.store.set_meta(_meta_key(session.user_id, record_id), "")
    session.memo.pop(("buffer", record_id), None)


def _tampered(record_id: str) -> IntegrityError:
    return IntegrityError(
        f"the autosave buffer of draft {record_id} is not one its author wrote (forged, moved "
        "or rolled back): nothing was taken from it; tell the clinic admin"
    )


def close(session: Session, record_id: str) -> tuple[int, bool]:
    """End an editing session: what the buffer holds becomes the draft's next audited version
    (one ``update`` entry) and the buffer is emptied. Returns ``(version, written)``."""
    fact = session.record_fact(record_id)
    if fact.author != session.user_id:
        return len(fact.digests), False
    head = len(fact.digests)
    found = None if fact.sealed else read(session, fact.patient, record_id, head)
    if found is None:
        forget(session, record_id)
        return head, False
    _, version = session.put_record(
        fact.patient, found.content, record_id=record_id, expected_version=head
    )
    forget(session, record_id)
    return version, True


def forget(session: Session, record_id: str) -> None:
    """Empty this user's buffer of ``record_id`` if one is kept (one commit; none otherwise)."""
    if session.store.get_meta(_meta_key(session.user_id, record_id)):
        with session.writing():
            clear(session, record_id)
    session.memo.pop(("buffer", record_id), None)
