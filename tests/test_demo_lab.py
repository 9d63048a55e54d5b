"""``kap-notes demo DIR --lab`` prints a link that logs straight in, on the port actually used
(the requested one is busy here), with JupyterLab's news pop-up off — a real JupyterLab."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from kap_notes.cli.demolab import login_url, server_info, write_settings
from tests.conftest import create_clinic_vault

LINK = re.compile(r"^\s+(http://127\.0\.0\.1:\d+/lab\?token=\S+)$")


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something else already listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield int(sock.getsockname()[1])


def _env(base: Path) -> dict[str, str]:
    dirs = {k: base / k.lower() for k in ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR")}
    dirs["JUPYTER_RUNTIME_DIR"] = base / "runtime"
    for path in dirs.values():
        path.mkdir(parents=True)
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "KAP_NOTES"))}
    return {**keep, **{k: str(v) for k, v in dirs.items()}}


def _read_link(
    process: subprocess.Popen[str], reader: threading.Thread, lines: queue.Queue[str]
) -> tuple[str, list[str]]:
    """The login link the demo prints (lines read by a thread: no buffering surprises)."""
    reader.start()
    timeout = 150
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            assert process.poll() is None, f"demo exited: {seen}"
            continue
        seen.append(line)
        found = LINK.match(line.rstrip("\n"))
        if found:
            return found.group(1), seen
    raise AssertionError(f"no login link printed: {seen}")


def test_demo_prints_a_logging_in_link_on_the_port_it_actually_uses(
    tmp_path: Path, busy_port: int
) -> None:
    # Given an existing demo folder (a small vault, reused as `make demo` reuses it)
    root = tmp_path / "demo"
    create_clinic_vault(root / "vault")
    env = _env(tmp_path)
    command = [sys.executable, "-m", "kap_notes.cli", "demo", str(root), "--lab"]
    # When the demo starts JupyterLab on a port that is busy
    process = subprocess.Popen(
        [*command, "--port", str(busy_port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    stream = process.stdout
    assert stream is not None
    reader = threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True)
    try:
        link, printed = _read_link(process, reader, lines)
        url = urlsplit(link)
        # Then the link names the port really used, and it says why it moved
        assert url.port != busy_port
        assert any(f"port {busy_port} was busy" in line for line in printed)
        # And the link logs straight in: the token is the server's, JupyterLab opens (no login)
        token = parse_qs(url.query)["token"][0]
        with httpx.Client(follow_redirects=True, timeout=30) as http:
            page = http.get(link)
            assert page.status_code == 200
            assert "/login" not in str(page.url)
            assert '"appName": "JupyterLab"' in page.text or "JupyterLab" in page.text
            base = f"{url.scheme}://{url.netloc}"
            assert http.get(f"{base}/api/status").status_code == 200  # the link's login cookie
            assert httpx.get(f"{base}/api/status").status_code == 403  # without it: refused
            # And the news pop-up is off for the demo
            news = http.get(
                f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification",
                headers={"Authorization": f"token {token}"},
            ).json()
            assert news["schema"]["properties"]["fetchNews"]["default"] == "false"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        reader.join(30)  # JupyterLab stopped too: the pipe is at its end
        stream.close()
    # And stopping the demo stops JupyterLab (its runtime file is gone)
    assert not list((tmp_path / "runtime").glob("jpserver-*.json"))


def test_login_url_comes_from_the_runtime_file(tmp_path: Path) -> None:
    info = {"url": "http://127.0.0.1:8893/", "port": 8893, "token": "abc123"}
    (tmp_path / "jpserver-4242.json").write_text(json.dumps(info))
    read = server_info(tmp_path, 4242)
    assert read is not None
    assert login_url(read) == "http://127.0.0.1:8893/lab?token=abc123"
    assert server_info(tmp_path, 4243) is None  # another server's file is never used
    assert login_url({"port": 8890, "token": ""}) == "http://127.0.0.1:8890/lab"


def test_demo_settings_turn_the_news_off_and_keep_installed_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = tmp_path / "lab"
    (lab / "settings").mkdir(parents=True)
    installed = {"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}
    (lab / "settings" / "overrides.json").write_text(json.dumps(installed))
    monkeypatch.setenv("JUPYTERLAB_DIR", str(lab))
    overrides = json.loads((write_settings(tmp_path / "demo") / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert (
        overrides["@jupyterlab/apputils-extension:themes"]
        == installed["@jupyterlab/apputils-extension:themes"]
    )
