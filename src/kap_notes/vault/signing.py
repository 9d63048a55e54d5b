"""Signatures on clinical records: Ed25519 over the content, the record id, version, signer, time.

A signed record version is immutable (the session refuses to overwrite it); corrections are
addenda, which are records of their own that reference the signed version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kap_notes.vault import crypto
from kap_notes.vault.audit import utc_now
from kap_notes.vault.session import SIGNATURE_KEY, Session

DOMAIN = "kap-notes record signature v2"
DOMAIN_V1 = "kap-notes record signature v1"


def _unsigned(content: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in content.items() if k != SIGNATURE_KEY}


def _message(record_id: str, version: int, block: Mapping[str, Any]) -> bytes:
    """What is signed. Since v2 the signer's name and credentials, as shown beside the
    signature, are covered too (v1 signatures, made before, still verify as they were)."""
    fields = {
        "domain": block.get("domain", DOMAIN_V1),
        "record": record_id,
        "version": version,
        "signer": block["signer"],
        "signed_at": block["signed_at"],
        "meaning": block["meaning"],
        "content_sha256": block["content_sha256"],
    }
    if fields["domain"] == DOMAIN:
        fields["signer_name"] = block["signer_name"]
    elif fields["domain"] != DOMAIN_V1:
        raise ValueError("unknown signature domain")
    return crypto.canonical_json(fields)


def sign_content(
    session: Session, content: Mapping[str, Any], record_id: str, version: int, meaning: str
) -> dict[str, Any]:
    """``content`` with a signature block by the session's user for ``record_id`` v``version``."""
    unsigned = _unsigned(content)
    block: dict[str, Any] = {
        "signer": session.user_id,
        "signer_name": session.user_label(session.user_id),
        "domain": DOMAIN,
        "signed_at": utc_now(),
        "meaning": meaning,
        "algorithm": "ed25519",
        "content_sha256": crypto.sha256(crypto.canonical_json(unsigned)).hex(),
    }
    block["value"] = session.sign_bytes(_message(record_id, version, block)).hex()
    return {**unsigned, SIGNATURE_KEY: block}


def _signature_triple(
    signing_key_of: Callable[[str], bytes | None],
    content: Mapping[str, Any],
    record_id: str,
    version: int,
) -> tuple[bytes, bytes, bytes] | None:
    """(signer's key, signature, signed message) of ``content``; None when it cannot hold."""
    block = content.get(SIGNATURE_KEY)
    if not isinstance(block, Mapping):
        return None
    signer = signing_key_of(str(block.get("signer")))
    if signer is None:
        return None
    digest = crypto.sha256(crypto.canonical_json(_unsigned(content))).hex()
    if digest != block.get("content_sha256"):
        return None
    try:
        return signer, bytes.fromhex(str(block["value"])), _message(record_id, version, block)
    except (KeyError, ValueError):
        return None


def verify_content(
    signing_key_of: Callable[[str], bytes | None],
    content: Mapping[str, Any],
    record_id: str,
    version: int,
) -> bool:
    """True if ``content`` carries a valid signature for this record version.

    ``signing_key_of`` gives a user's key by the signed log (``Session.signing_key_of``), never
    by the users table.
    """
    return verify_contents(signing_key_of, [(content, record_id, version)])[0]


def verify_contents(
    signing_key_of: Callable[[str], bytes | None],
    signed: Sequence[tuple[Mapping[str, Any], str, int]],
) -> list[bool]:
    """:func:`verify_content` of each ``(content, record_id, version)``, the Ed25519 checks
    together (:func:`crypto.verify_all`: in threads when there are many not seen before)."""
    triples = [_signature_triple(signing_key_of, *item) for item in signed]
    checkable = [t for t in triples if t is not None]
    verdicts = iter(crypto.verify_all(checkable))
    return [t is not None and next(verdicts) for t in triples]
