"""Fixtures for the browser tests: a demo vault, a real ``jupyter lab`` per test on isolated dirs,
Debian's headless chromium, and screenshots of every step (kept on failure too).

This is its own pytest run (``pytest ui-tests``, configured by ``ui-tests/pytest.ini``): sync
Playwright and pytest-jupyter's event loop must not share a process, so nothing here comes from
``tests/conftest.py``.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from labharness import LabServer, RunDirs
from labui import Shots, launch_chromium
from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright

from kap_notes.service.demo import create_demo
from kap_notes.vault.crypto import FAST_KDF

ARTIFACTS = Path(__file__).parent / "artifacts"

#: JupyterLab settings every run starts with: no news or update prompts over the page.
USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    """Remember each phase's report on the item, so fixtures know whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(getattr(request.node, f"report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


@pytest.fixture(scope="session")
def demo_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo clinic (synthetic patients, fast test KDF), made once and copied per test."""
    path = tmp_path_factory.mktemp("demo") / "vault"
    create_demo(path, kdf=FAST_KDF, kdf_floor=FAST_KDF)
    return path


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder = ARTIFACTS / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def run_dirs(request: pytest.FixtureRequest, demo_vault: Path) -> Iterator[RunDirs]:
    """Fresh per-run dirs holding a copy of the demo vault; removed unless the test failed."""
    dirs = RunDirs.create()
    shutil.copytree(demo_vault, dirs.vault)
    for name, value in USER_SETTINGS.items():
        target = dirs.config / "lab" / "user-settings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value))
    yield dirs
    if failed(request):
        print(f"kept the run's files in {dirs.base}")
    else:
        shutil.rmtree(dirs.base, ignore_errors=True)


@pytest.fixture
def lab_options() -> dict[str, Any]:
    """Override in a test module to configure the server (e.g. ``idle_check_seconds``)."""
    return {}


@pytest.fixture
def lab(run_dirs: RunDirs, artifacts: Path, lab_options: dict[str, Any]) -> Iterator[LabServer]:
    server = LabServer(run_dirs, **lab_options)
    server.start()
    try:
        yield server
    finally:
        server.close()
        server.copy_logs(artifacts)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture
def browser(playwright: Playwright, run_dirs: RunDirs) -> Iterator[BrowserContext]:
    """Debian chromium, headless, with a fresh profile inside the run's dirs."""
    context = launch_chromium(playwright, run_dirs, accept_downloads=True)
    context.set_default_timeout(30_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def shots(artifacts: Path) -> Shots:
    return Shots(artifacts)


@pytest.fixture
def page(
    request: pytest.FixtureRequest, browser: BrowserContext, shots: Shots, artifacts: Path
) -> Iterator[Page]:
    page = browser.pages[0] if browser.pages else browser.new_page()
    shots.page = page
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    yield page
    if failed(request) and not page.is_closed():
        shots("FAILED", full_page=True)
    (artifacts / "console.log").write_text("\n".join(console))
