"""The hub user ↔ vault user binding on JupyterHub.

A single-user server that JupyterHub started (``JUPYTERHUB_USER`` is set) holds the keys of its
own clinician only: its kap-notes API answers only that hub user (never someone the server was
shared with, never a hub admin), and it unlocks only as the vault user the clinic maps that hub
user to — ``KAP_NOTES_VAULT_USER`` (set by the hub's spawner, see deploy/jupyterhub_config.py),
else the same name. Outside JupyterHub nothing is bound.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from kap_notes.errors import NotAuthorised

HUB_USER = "JUPYTERHUB_USER"
VAULT_USER = "KAP_NOTES_VAULT_USER"


def hub_user(environ: Mapping[str, str] = os.environ) -> str | None:
    """The hub user this server belongs to, or None outside JupyterHub."""
    return environ.get(HUB_USER) or None


def bound_vault_user(environ: Mapping[str, str] = os.environ) -> str | None:
    """The only vault user this server may unlock as (None: any, outside JupyterHub)."""
    owner = hub_user(environ)
    return None if owner is None else environ.get(VAULT_USER) or owner


def check_requester(requester: str | None, environ: Mapping[str, str] = os.environ) -> None:
    """403 unless ``requester`` (the authenticated hub user) owns this server."""
    owner = hub_user(environ)
    if owner is not None and requester is not None and requester != owner:
        raise NotAuthorised(
            f"this kap-notes server belongs to {owner}: only {owner} may use it "
            f"({requester} was refused; nothing was read or changed)"
        )


def check_unlock(
    requested: str, requester: str | None, environ: Mapping[str, str] = os.environ
) -> None:
    """403 unless this server's own hub user asks to unlock as their own vault user."""
    check_requester(requester, environ)
    bound = bound_vault_user(environ)
    if bound is not None and requested != bound:
        raise NotAuthorised(
            f"this JupyterHub server belongs to {hub_user(environ)}: it unlocks only as vault "
            f"user {bound}, not {requested}. Sign in to JupyterHub as {requested} instead"
        )
