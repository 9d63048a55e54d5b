"""FHIR R4 Practitioners for the clinicians who wrote, signed, co-signed or returned notes.

One Practitioner per kap-notes user id (identifier ``urn:kap-notes:user``), named with the user's
display name from the verified policy (``name_of``). References carry the name as shown beside
the signature (``signer_name``) when there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kap_notes.export.fhir.common import USER_SYSTEM, urn_uuid

__all__ = ["Practitioners"]


class Practitioners:
    """Collects the users a bundle refers to; :meth:`resources` gives their Practitioners."""

    def __init__(self, name_of: Callable[[str], str]) -> None:
        self._name_of = name_of
        self._seen: dict[str, str] = {}

    def url(self, user_id: str) -> str:
        """The bundle ``fullUrl`` of a user's Practitioner (recorded for :meth:`resources`)."""
        if user_id not in self._seen:
            self._seen[user_id] = urn_uuid("practitioner", user_id)
        return self._seen[user_id]

    def name(self, user_id: str) -> str:
        return self._name_of(user_id)

    def ref(self, user_id: str, display: str | None = None) -> dict[str, str]:
        """A Reference to the user's Practitioner, shown as ``display`` (default: their name)."""
        return {"reference": self.url(user_id), "display": display or self.name(user_id)}

    def resources(self) -> list[tuple[str, dict[str, Any]]]:
        """``(fullUrl, Practitioner)`` for every user referred to so far."""
        return [
            (
                url,
                {
                    "resourceType": "Practitioner",
                    "id": url[9:],
                    "identifier": [{"system": USER_SYSTEM, "value": user_id}],
                    "name": [{"text": self.name(user_id)}],
                },
            )
            for user_id, url in self._seen.items()
        ]
