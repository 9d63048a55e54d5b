"""What every command needs: the vault, the user, an unlocked session, and a way to print."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kap_notes.cli import secrets
from kap_notes.errors import InvalidInput, KapError

if TYPE_CHECKING:
    from kap_notes.vault.crypto import KdfParams
    from kap_notes.vault.session import Session
    from kap_notes.vault.vault import Vault

# The vault (and with it cryptography) loads when a command first needs it, so that
# ``--version`` and ``--help`` start quickly.


def kdf_floor() -> KdfParams:
    """The weakest KDF accepted. ``KAP_NOTES_FAST_KDF=1`` is for tests and demos only."""
    from kap_notes.vault.crypto import FAST_KDF, MINIMUM_KDF  # noqa: PLC0415

    return FAST_KDF if os.environ.get("KAP_NOTES_FAST_KDF") == "1" else MINIMUM_KDF


@dataclass
class Context:
    """Parsed global options."""

    args: argparse.Namespace

    @property
    def vault_path(self) -> str:
        path = self.args.vault or os.environ.get("KAP_NOTES_VAULT")
        if not path:
            raise InvalidInput(["which vault? pass --vault DIR or set KAP_NOTES_VAULT"])
        return str(path)

    @property
    def user_name(self) -> str:
        name = self.args.user or os.environ.get("KAP_NOTES_USER")
        if not name:
            raise InvalidInput(["who are you? pass --user NAME or set KAP_NOTES_USER"])
        return str(name)

    def vault(self) -> Vault:
        from kap_notes.vault.vault import Vault  # noqa: PLC0415

        return Vault.open(self.vault_path, kdf_floor=kdf_floor())

    def session(self) -> Session:
        """Unlock the vault as ``--user``."""
        name = self.user_name
        vault = self.vault()
        session = vault.unlock(name, secrets.passphrase(name))
        notices = [*session.notices]
        if vault.failed_attempts:
            notices.insert(0, f"{vault.failed_attempts} wrong passphrase(s) since your last unlock")
        for notice in notices:
            sys.stderr.write(f"kap-notes: {notice}\n")
        return session

    def emit(self, data: Any, human: str) -> None:
        """Print ``data`` as JSON with ``--json``, else the human text."""
        if self.args.json:
            sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        else:
            sys.stdout.write(human.rstrip("\n") + "\n")


def read_json_file(path: str) -> Any:
    """Load a JSON input file with a message that names the file and the line."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError as exc:
        raise InvalidInput([f"{path}: no such file"]) from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput([f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})"]) from exc


def report_error(exc: KapError) -> int:
    """Print ``exc`` as one line on stderr (``--json`` callers get its code there too); its
    class decides the exit status (:attr:`~kap_notes.errors.KapError.exit_code`)."""
    sys.stderr.write(f"kap-notes: {exc} [{exc.code}]\n")
    return exc.exit_code
