"""PostgreSQL-only tests: a vault in a fresh database of the test server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.postgres import harness
from tests.postgres.fixtures import pg_server as _pg_server
from tests.vault_robustness.conftest import Clinic, make_clinic

pg_server = _pg_server


@pytest.fixture
def pg_location(pg_server: harness.Server) -> Iterator[str]:
    """A fresh, empty database URL (dropped afterwards)."""
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture
def pg_clinic(pg_location: str) -> Iterator[Clinic]:
    """Admin ada, therapists tess and theo, supervisor sam, in PostgreSQL."""
    made = make_clinic(pg_location)
    yield made
    made.close()
