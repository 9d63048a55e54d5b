"""Where the CLI gets secrets: the environment (automation) or a prompt that does not echo."""

from __future__ import annotations

import getpass
import os
import sys

from kap_notes.model.patient import InvalidInput

MIN_PASSPHRASE = 10


def _prompt(label: str) -> str:
    if not sys.stdin.isatty():
        raise InvalidInput([f"{label} needed: run interactively or set it in the environment"])
    return getpass.getpass(f"{label}: ")


def passphrase(user: str) -> str:
    """The current user's passphrase: ``KAP_NOTES_PASSPHRASE`` or a prompt."""
    value = os.environ.get("KAP_NOTES_PASSPHRASE")
    return value if value is not None else _prompt(f"Passphrase for {user}")


def new_passphrase(whose: str) -> str:
    """A passphrase being set: ``KAP_NOTES_NEW_PASSPHRASE`` or a prompt, typed twice."""
    value = os.environ.get("KAP_NOTES_NEW_PASSPHRASE")
    if value is None:
        value = _prompt(f"New passphrase for {whose}")
        if _prompt("Repeat it") != value:
            raise InvalidInput(["the two passphrases differ; nothing was changed"])
    if len(value) < MIN_PASSPHRASE:
        raise InvalidInput([f"a passphrase needs at least {MIN_PASSPHRASE} characters"])
    return value


def secret(env: str, label: str) -> str:
    """Any other secret (recovery or break-glass code): ``env`` or a prompt."""
    value = os.environ.get(env)
    return value if value is not None else _prompt(label)
