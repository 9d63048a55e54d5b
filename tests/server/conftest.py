"""The server tests' Jupyter server: the kap-notes extension on the clinic's vault (fast test
KDF), authentication required. A test module may override ``jp_server_config``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Clinic


@pytest.fixture
def jp_server_config(clinic: Clinic) -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {"kap_notes.server": True},
            "allow_unauthenticated_access": False,
        },
        "KapNotesApp": {"vault": str(clinic.path), "fast_kdf": True},
    }
