"""Every server-side setting in one Configurable (``c.KapNotes.*`` in jupyter_server_config.py)."""

from __future__ import annotations

import os

from traitlets import Bool, Float, Unicode, default
from traitlets.config import Configurable


class KapNotes(Configurable):
    """kap-notes server extension settings."""

    vault = Unicode(
        help="Vault directory (or KAP_NOTES_VAULT). Never on a network file system."
    ).tag(config=True)
    auto_lock_minutes = Float(
        15.0, help="Lock the vault after this many idle minutes (the UI setting overrides it)."
    ).tag(config=True)
    fast_kdf = Bool(
        False, help="Accept the weak test KDF. For demos and tests only (or KAP_NOTES_FAST_KDF=1)."
    ).tag(config=True)
    notebook_folder = Unicode(
        "kap-vault", help="Contents path under which notebooks are stored encrypted in the vault."
    ).tag(config=True)
    idle_check_seconds = Float(5.0, help="How often to check for the idle timeout.").tag(
        config=True
    )

    @default("vault")
    def _vault_default(self) -> str:
        return os.environ.get("KAP_NOTES_VAULT", "")

    @default("fast_kdf")
    def _fast_kdf_default(self) -> bool:
        return os.environ.get("KAP_NOTES_FAST_KDF") == "1"
