"""Running ``kap-notes`` as a real subprocess, with secrets passed through the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


class Cli:
    """Runs ``kap-notes`` against one vault with secrets passed through the environment."""

    def __init__(self, vault: Path) -> None:
        self.vault = vault

    def __call__(
        self,
        *args: str,
        user: str | None = None,
        passphrase: str | None = None,
        new_passphrase: str | None = None,
        ok: bool = True,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("KAP_NOTES_")}
        environ |= {"KAP_NOTES_VAULT": str(self.vault), "KAP_NOTES_FAST_KDF": "1", **(env or {})}
        for key, value in [
            ("KAP_NOTES_USER", user),
            ("KAP_NOTES_PASSPHRASE", passphrase),
            ("KAP_NOTES_NEW_PASSPHRASE", new_passphrase),
        ]:
            if value is not None:
                environ[key] = value
        result = subprocess.run(
            [sys.executable, "-m", "kap_notes.cli", *args],
            capture_output=True,
            text=True,
            env=environ,
            stdin=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )
        if ok:
            assert result.returncode == 0, result.stderr
        else:
            assert result.returncode != 0, result.stdout
            assert "Traceback" not in result.stderr
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        return result
