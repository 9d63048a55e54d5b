"""Clinic settings: read by every path from the vault, changed by an admin (signed, audited).

The settings are facts of the vault's signed log (:mod:`kap_notes.vault.clinic`): every save,
sign, ``note get``, compile, notebook and export uses the version in force, and a signed note
keeps the version its flags used. Flags are for review only; thresholds are clinic settings,
never clinical advice. ``auto_lock_minutes`` is each user's own server setting, not a clinic one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kap_notes.forms.settings import ClinicSettings
from kap_notes.forms.settings_schema import AUTO_LOCK, THRESHOLDS, check_settings
from kap_notes.model.patient import InvalidInput
from kap_notes.model.people import Role
from kap_notes.vault import clinic
from kap_notes.vault.errors import NotAuthorised
from kap_notes.vault.session import Session


@dataclass(frozen=True)
class ClinicSettingsInfo:
    """One version of the clinic settings, who signed it and when (None for the defaults)."""

    settings: ClinicSettings
    version: int
    changed_by: str | None = None
    changed_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON for REST and ``--json``: values, version, who and when, each setting described."""
        return {
            "values": self.settings.as_mapping(),
            "version": self.version,
            "changed_by": self.changed_by,
            "changed_at": self.changed_at,
            "described": self.settings.describe(),
            "label": ClinicSettings.LABEL,
        }


def _info(session: Session, found: clinic.SettingsVersion) -> ClinicSettingsInfo:
    by = session.user_name(found.by) if found.by else None
    return ClinicSettingsInfo(found.settings(), found.version, by, found.at)


def current(session: Session) -> ClinicSettingsInfo:
    """The clinic settings in force now (version 0: the defaults, nothing signed yet)."""
    session.sync()
    return _info(session, clinic.version_of(session.policy))


def at_version(session: Session, version: int) -> ClinicSettingsInfo:
    """The settings of ``version`` (e.g. the one a signed note's flags used)."""
    session.sync()
    return _info(session, clinic.version_of(session.policy, version))


def history(session: Session) -> list[ClinicSettingsInfo]:
    """Every signed version, oldest first (after the defaults, version 0)."""
    session.sync()
    return [_info(session, found) for found in clinic.history(session.policy)]


def not_admin_message(session: Session) -> str:
    """What a non-admin is told when they try to change clinic settings."""
    return (
        f"clinic settings are changed by an admin; {session.user_row.name} is a "
        f"{session.role.value}. Nothing was changed: ask your clinic's admin to change them "
        "(JupyterLab settings, the REST API or `kap-notes settings set`)"
    )


def parse_thresholds(updates: Mapping[str, Any]) -> dict[str, int]:
    """The clinic thresholds in ``updates`` as whole numbers; :class:`InvalidInput` names every
    unknown or out-of-range setting (``auto_lock_minutes`` is a user's own, not the clinic's)."""
    if AUTO_LOCK.name in updates:
        raise InvalidInput(
            [f"{AUTO_LOCK.name} is each user's own setting (JupyterLab), not a clinic setting"]
        )
    return {k: v for k, v in check_settings(updates).items() if k in THRESHOLDS}


def change(session: Session, updates: Mapping[str, Any]) -> tuple[ClinicSettingsInfo, bool]:
    """Set some clinic thresholds (the rest keep their values); admins only.

    Returns the settings in force afterwards and whether a new version was signed (values equal
    to those in force sign nothing, whoever asks). Raises :class:`InvalidInput` for bad values
    (nothing written) and :class:`NotAuthorised` for anyone but an admin.
    """
    thresholds = parse_thresholds(updates)
    now = current(session)
    merged = ClinicSettings(**{**now.settings.as_mapping(), **thresholds})
    if merged == now.settings:
        return now, False
    if session.role != Role.ADMIN:
        raise NotAuthorised(not_admin_message(session))
    session.set_clinic_settings(merged.as_mapping())
    return current(session), True
