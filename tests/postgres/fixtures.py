"""Fixtures that run a test once per vault backend. Conftests re-export them by assignment
(``vault_location = fixtures.vault_location``) so only the vault suites run twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.postgres import harness


@pytest.fixture(scope="session")
def pg_server() -> Iterator[harness.Server]:
    """The PostgreSQL server of this test run (started on first use; never skipped)."""
    with harness.shared_server() as server:
        yield server


@pytest.fixture(params=harness.BACKENDS)
def vault_backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgres``: the test runs once with each."""
    return str(request.param)


@pytest.fixture
def vault_locations(
    vault_backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], str]]:
    """Make fresh, empty vault locations of this test's backend (dropped afterwards)."""
    made: list[str] = []
    server: harness.Server | None = None

    def new() -> str:
        nonlocal server
        if vault_backend == "sqlite":
            made.append(str(tmp_path / f"vault{len(made) or ''}"))
        else:
            if server is None:
                server = request.getfixturevalue("pg_server")
            made.append(server.create_database())
        return made[-1]

    yield new
    if server is not None:
        for url in made:
            server.drop_database(url)


@pytest.fixture
def vault_location(vault_locations: Callable[[], str]) -> str:
    """One fresh vault location: ``tmp_path/vault`` or a new PostgreSQL database URL."""
    return vault_locations()
