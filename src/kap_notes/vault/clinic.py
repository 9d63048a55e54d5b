"""Clinic settings as facts of the signed log: versioned, signed by an admin, never a table.

Every change is one ``settings`` audit entry (see :mod:`.policy`) carrying the whole set of
values and its version (the previous one + 1). Version 0 is the defaults, before any admin set
anything. A signed note records the version its flags used; :func:`version_of` finds it again.
Values are checked against :class:`~kap_notes.forms.settings.ClinicSettings` before they are
written; the log itself only checks who signed and that versions follow one another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kap_notes.vault.errors import UnknownRecord
from kap_notes.vault.policy import Policy

if TYPE_CHECKING:
    from kap_notes.forms.settings import ClinicSettings

ACTION = "settings"


@dataclass(frozen=True)
class SettingsVersion:
    """One version of the clinic settings as the log says (version 0: the defaults)."""

    version: int
    values: dict[str, Any] = field(default_factory=dict)
    #: The admin who signed it (user id), and when; None for the defaults.
    by: str | None = None
    at: str | None = None

    def settings(self) -> ClinicSettings:
        """These values as :class:`ClinicSettings`: names it no longer knows are ignored, and a
        value outside today's bounds falls back to its default (flags are for review only)."""
        from kap_notes.forms.settings import ClinicSettings  # noqa: PLC0415 - forms loads late
        from kap_notes.model.patient import InvalidInput  # noqa: PLC0415

        known = {k: v for k, v in self.values.items() if k in ClinicSettings.__dataclass_fields__}
        try:
            return ClinicSettings(**known)
        except InvalidInput:
            kept: dict[str, Any] = {}
            for name, value in known.items():
                try:
                    ClinicSettings(**{**kept, name: value})
                except InvalidInput:
                    continue
                kept[name] = value
            return ClinicSettings(**kept)


def history(policy: Policy) -> list[SettingsVersion]:
    """Every signed version, oldest first (empty while the defaults are in force)."""
    return [
        SettingsVersion(int(h["version"]), dict(h["values"]), str(h["by"]), str(h["at"]))
        for h in policy.clinic_settings
    ]


def version_of(policy: Policy, version: int | None = None) -> SettingsVersion:
    """Version ``version`` (the current one if None); :class:`UnknownRecord` if never signed."""
    versions = history(policy)
    if version is None:
        return versions[-1] if versions else SettingsVersion(0)
    if version == 0:
        return SettingsVersion(0)
    if not 0 < version <= len(versions):
        raise UnknownRecord(f"no clinic-settings version {version} (the newest is {len(versions)})")
    return versions[version - 1]


def entry_data(policy: Policy, values: Mapping[str, Any]) -> dict[str, Any]:
    """What the ``settings`` entry signs: the next version and every value, checked first
    (:class:`~kap_notes.model.patient.InvalidInput` names each bad one)."""
    from kap_notes.forms.settings import ClinicSettings  # noqa: PLC0415 - forms loads late
    from kap_notes.model.patient import InvalidInput  # noqa: PLC0415

    unknown = sorted(set(values) - set(ClinicSettings.__dataclass_fields__))
    if unknown:
        raise InvalidInput([f"unknown clinic setting {name!r}" for name in unknown])
    checked = ClinicSettings(**dict(values)).as_mapping()
    return {"version": len(policy.clinic_settings) + 1, "values": checked}
