"""JupyterLab for the demo clinic: start it, then print the link that logs straight in.

The link is read from the running server's runtime file (``jpserver-<pid>.json`` in the Jupyter
runtime dir): the port it actually listens on (JupyterLab moves to the next free port when the
requested one is busy) and its token. JupyterLab's news pop-up is off for the demo (a settings
override in the demo folder), so it never covers a form.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

#: JupyterLab settings the demo overrides (``overrides.json`` in its app settings dir).
DEMO_OVERRIDES: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}
READY_TIMEOUT = 180.0


def write_settings(root: Path) -> Path:
    """The demo's JupyterLab app settings dir, with the news pop-up off (any overrides of the
    installation's own settings dir are kept)."""
    settings = root / "lab-settings"
    settings.mkdir(parents=True, exist_ok=True)
    lab_dir = Path(os.environ.get("JUPYTERLAB_DIR") or Path(sys.prefix) / "share/jupyter/lab")
    merged: dict[str, Any] = {}
    installed = lab_dir / "settings" / "overrides.json"
    if installed.is_file():
        with contextlib.suppress(ValueError, OSError):
            merged = dict(json.loads(installed.read_text(encoding="utf-8")))
    for plugin, values in DEMO_OVERRIDES.items():
        merged[plugin] = {**merged.get(plugin, {}), **values}
    (settings / "overrides.json").write_text(json.dumps(merged, indent=2) + "\n", "utf-8")
    return settings


def lab_command(root: Path, port: int) -> list[str]:
    """``python -m jupyterlab`` (so the server's pid is the child's) for the demo folder."""
    return [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--no-browser",
        f"--ServerApp.root_dir={root / 'notebooks'}",
        f"--LabApp.app_settings_dir={write_settings(root)}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]


def runtime_dir(env: Mapping[str, str]) -> Path:
    """The Jupyter runtime dir the server will use (its environment decides)."""
    from jupyter_core.paths import jupyter_runtime_dir  # noqa: PLC0415 - reads os.environ

    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        return Path(jupyter_runtime_dir())
    finally:
        os.environ.clear()
        os.environ.update(saved)


def server_info(runtime: Path, pid: int) -> dict[str, Any] | None:
    """The runtime file of the server with process id ``pid``, once it is listening."""
    path = runtime / f"jpserver-{pid}.json"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and info.get("port") else None


def login_url(info: Mapping[str, Any]) -> str:
    """``http://127.0.0.1:<port>/lab?token=<token>`` from a server's runtime file."""
    base = str(info.get("url") or f"http://127.0.0.1:{info['port']}/").rstrip("/")
    token = str(info.get("token") or "")
    return f"{base}/lab?token={token}" if token else f"{base}/lab"


def wait_for_server(
    process: subprocess.Popen[bytes], runtime: Path, timeout: float = READY_TIMEOUT
) -> dict[str, Any]:
    """The runtime file's contents once the server listens; raises if it exits or hangs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = server_info(runtime, process.pid)
        if info is not None:
            return info
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited (code {process.returncode}) before it started")
        time.sleep(0.2)
    raise TimeoutError(f"JupyterLab did not start within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes], grace: float = 20) -> None:
    """Stop the server (SIGTERM: it shuts its kernels down), then its process group."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_lab(root: Path, env: Mapping[str, str], port: int, out: TextIO = sys.stdout) -> int:
    """Run JupyterLab for the demo until Ctrl-C (or SIGTERM); print the login link when ready."""
    runtime = runtime_dir(env)
    process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        lab_command(root, port), env=dict(env), start_new_session=True
    )
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        info = wait_for_server(process, runtime)
        used = int(info["port"])
        moved = f" (port {port} was busy, so it uses {used})" if used != port else ""
        out.write(
            f"\nJupyterLab is ready{moved}. Open this link — it logs you in:\n"
            f"  {login_url(info)}\n"
            "Unlock from the KAP item in the status bar, then use the KAP launcher tiles. "
            "Ctrl-C stops JupyterLab.\n"
        )
        out.flush()
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop(process)
        signal.signal(signal.SIGTERM, previous)
