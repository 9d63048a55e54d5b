"""Two browser windows of one JupyterLab (a clinician with a second window open): neither
window's sweep of form kernels shuts down what the other holds. The spare kernel has no
connection while it waits, so before each window listed what it holds in the browser's
storage, the second window's first sweep shut the first window's spare down."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from labharness import LabServer
from labui import click_tile, current_tab, form_in, open_lab, status_item
from playwright.sync_api import BrowserContext, Page, expect

SPARE = "KAP form (ready)"  # formwidget.ts SPARE_NAME
TESS = re.compile(r"^KAP: tess")


def _spares(lab: LabServer) -> list[str]:
    sessions = lab.http.get("/api/sessions").json()
    return [s["id"] for s in sessions if s["type"] == "kap-form" and s["name"] == SPARE]


def _wait_for(check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.25)
    return found


def test_a_second_window_never_shuts_down_the_first_windows_spare(
    lab: LabServer, page: Page, browser: BrowserContext
) -> None:
    lab.unlock("tess")
    open_lab(page, lab.lab_url())
    expect(status_item(page)).to_have_text(TESS)
    (first,) = _wait_for(lambda: _spares(lab))

    second = browser.new_page()
    open_lab(second, lab.lab_url())
    expect(status_item(second)).to_have_text(TESS)
    _wait_for(lambda: len(_spares(lab)) == 2)  # the second window's own spare, after its sweep
    # A form opened and closed in the second window: closing sweeps again
    form = form_in(second, click_tile(second, "Dosing"))
    expect(form.root.locator("select").first).to_be_enabled(timeout=60_000)
    current_tab(second).locator(".lm-TabBar-tabCloseIcon").click()
    expect(second.locator(".kap-FormPanel:visible")).to_have_count(0, timeout=30_000)
    second.wait_for_timeout(2000)  # the sweep's shutdowns reach the server
    assert first in _spares(lab)

    # The first window's next form takes that spare (renamed for its form)
    form = form_in(page, click_tile(page, "Dosing"))
    expect(form.root.locator("select").first).to_be_enabled(timeout=60_000)
    sessions = {s["id"]: s for s in lab.http.get("/api/sessions").json()}
    assert first in sessions
    assert sessions[first]["name"] != SPARE
    second.close()
