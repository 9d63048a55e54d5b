"""Users carry an optional display name and credentials, signed with them into the log."""

from __future__ import annotations

import json
from pathlib import Path

from kap_notes.model.people import person_label
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.vault import Vault
from tests.cli_runner import Cli


def test_person_label() -> None:
    assert person_label("tess", "Tess Taylor", "LCSW") == "Tess Taylor, LCSW"
    assert person_label("tess", "Tess Taylor") == "Tess Taylor"
    assert person_label("tess", None, "LCSW") == "tess, LCSW"
    assert person_label("tess", "  ", " ") == "tess"


def test_user_add_on_the_command_line_takes_a_display_name_and_credentials(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "vault")
    cli("init", "--admin", "ada", "--fast-kdf", new_passphrase="ada passphrase 1")
    ada = {"user": "ada", "passphrase": "ada passphrase 1"}
    added = cli(
        "--json",
        "user",
        "add",
        "tess",
        "--role",
        "therapist",
        "--display-name",
        "Tess Taylor",
        "--credentials",
        "LCSW",
        new_passphrase="tess passphrase 1",
        **ada,
    )
    assert json.loads(added.stdout)["label"] == "Tess Taylor, LCSW"
    cli("user", "add", "theo", "--role", "therapist", new_passphrase="theo passphrase 1", **ada)
    # The signed log says so, whoever reads it (tables are caches, never the authority).
    session = Vault.open(tmp_path / "vault", kdf_floor=FAST_KDF).unlock("theo", "theo passphrase 1")
    tess, _ = session.user_named("tess")
    theo, _ = session.user_named("theo")
    assert session.user_label(tess) == "Tess Taylor, LCSW"
    assert session.user_label(theo) == "theo"
    assert session.user_label("user_unknown") == "user_unknown"
