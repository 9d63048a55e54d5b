"""A real ``jupyter lab`` subprocess on 127.0.0.1 with every directory it may write to isolated.

One :class:`RunDirs` per test: HOME, the Jupyter config/data/runtime dirs, IPYTHONDIR, TMPDIR, the
server root and the vault all live under one temporary base directory, so a test can scan exactly
what the run touched. The venv's ``share/jupyter`` and ``etc/jupyter`` stay on Jupyter's search path
(they are found through ``sys.prefix``), which is where the kap-notes extensions are installed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

DEMO_PASSPHRASES = {name: f"{name}-demo-passphrase" for name in ("ada", "tess", "theo", "sam")}


@dataclass(frozen=True)
class RunDirs:
    """Every directory one run may write to, under one base."""

    base: Path

    @classmethod
    def create(cls, prefix: str = "kap-ui-") -> RunDirs:
        dirs = cls(Path(tempfile.mkdtemp(prefix=prefix)))
        for path in dirs.all_dirs():
            path.mkdir(parents=True, exist_ok=True)
        return dirs

    @property
    def home(self) -> Path:
        return self.base / "home"

    @property
    def config(self) -> Path:
        return self.base / "jupyter-config"

    @property
    def data(self) -> Path:
        return self.base / "jupyter-data"

    @property
    def runtime(self) -> Path:
        return self.base / "jupyter-runtime"

    @property
    def ipython(self) -> Path:
        return self.base / "ipython"

    @property
    def tmp(self) -> Path:
        return self.base / "tmp"

    @property
    def root(self) -> Path:
        """The server's root dir (what the file browser shows)."""
        return self.base / "server-root"

    @property
    def vault(self) -> Path:
        return self.base / "vault"

    @property
    def browser_profile(self) -> Path:
        return self.base / "browser-profile"

    @property
    def logs(self) -> Path:
        return self.base / "logs"

    def all_dirs(self) -> list[Path]:
        return [
            self.home,
            self.config,
            self.data,
            self.runtime,
            self.ipython,
            self.tmp,
            self.root,
            self.browser_profile,
            self.logs,
        ]

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of the server (and of anything run against the same vault)."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("JUPYTER", "KAP_NOTES", "XDG_", "IPYTHON", "MPL"))
        }
        env.update(
            HOME=str(self.home),
            JUPYTER_CONFIG_DIR=str(self.config),
            JUPYTER_DATA_DIR=str(self.data),
            JUPYTER_RUNTIME_DIR=str(self.runtime),
            IPYTHONDIR=str(self.ipython),
            TMPDIR=str(self.tmp),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_DATA_HOME=str(self.home / ".local" / "share"),
            KAP_NOTES_VAULT=str(self.vault),
            KAP_NOTES_FAST_KDF="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.update(extra)
        return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ApiError(RuntimeError):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


class LabServer:
    """Start, stop and restart ``jupyter lab`` on fixed dirs; talk to its REST API."""

    def __init__(
        self, dirs: RunDirs, *, idle_check_seconds: float = 1.0, extra_args: tuple[str, ...] = ()
    ) -> None:
        self.dirs = dirs
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.idle_check_seconds = idle_check_seconds
        self.extra_args = extra_args
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"token {self.token}"},
            timeout=60,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, path: str = "lab") -> str:
        return f"{self.url}/{path}?token={self.token}"

    @property
    def log_path(self) -> Path:
        return self.dirs.logs / f"jupyter-lab-{self.starts}.log"

    def command(self) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.dirs.root}",
            f"--KapNotesApp.idle_check_seconds={self.idle_check_seconds}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            *self.extra_args,
        ]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        return cmd

    def start(self, timeout: float = 90) -> float:
        """Start the server and wait until jupyter_server and kap-notes answer; seconds taken."""
        assert self.process is None, "already running"
        self.starts += 1
        began = time.perf_counter()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.dirs.root,
                env=self.dirs.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready(timeout)
        return time.perf_counter() - began

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for path in ("/api/status", "/kap-notes/api/status"):
            while True:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"jupyter lab exited early:\n{self.log_tail()}")
                try:
                    if self.http.get(path, timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{path} not ready in {timeout} s:\n{self.log_tail()}")
                time.sleep(0.2)

    def stop(self, grace: float = 20) -> int | None:
        """SIGTERM, wait, then SIGKILL the server's process group; its exit code."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        # Kernels run in the server's process group; make sure none outlives it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return process.returncode

    def restart(self) -> float:
        self.stop()
        return self.start()

    def close(self) -> None:
        self.stop()
        self.http.close()

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return "(no log)"

    def copy_logs(self, target: Path) -> None:
        target.mkdir(parents=True, exist_ok=True)
        for log in self.dirs.logs.glob("*.log"):
            shutil.copy(log, target / log.name)

    # -- REST ------------------------------------------------------------------------------
    def api(self, endpoint: str, body: dict[str, Any] | None = None) -> Any:
        """``GET /kap-notes/api/status`` or ``POST /kap-notes/api/<endpoint>``; raises ApiError."""
        path = f"/kap-notes/api/{endpoint}"
        if endpoint == "status":
            response = self.http.get(path)
        else:
            response = self.http.post(path, json=body or {})
        data = response.json() if response.content else None
        if response.status_code >= 400:
            raise ApiError(response.status_code, data)
        return data

    def op(self, name: str, **kwargs: Any) -> Any:
        return self.api(f"ops/{name}", kwargs)

    def unlock(self, user: str) -> dict[str, Any]:
        result: dict[str, Any] = self.api(
            "unlock", {"user": user, "passphrase": DEMO_PASSPHRASES[user]}
        )
        return result

    def cli(self, *args: str, user: str, stdin: bytes | None = None) -> bytes:
        """Run ``kap-notes`` against this run's vault (same env as the server); its stdout."""
        env = self.dirs.env(KAP_NOTES_USER=user, KAP_NOTES_PASSPHRASE=DEMO_PASSPHRASES[user])
        result = subprocess.run(
            [sys.executable, "-m", "kap_notes.cli", *args],
            env=env,
            cwd=self.dirs.tmp,
            input=stdin,
            capture_output=True,
            timeout=180,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"kap-notes {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stderr.decode(errors='replace')}"
            )
        return result.stdout
