"""A real JupyterHub on 127.0.0.1 for the tests and benchmarks/hub_spawn.py: deploy/'s
jupyterhub_config.py loaded as is, plus a test layer (a local spawner, a password
authenticator, free ports, configurable-http-proxy from deploy/node_modules).

Spawner: ``SimpleLocalProcessSpawner`` — every server runs as this process's OS user. The tests
prove the hub/API isolation (roles, binding, proxy, user-server REST) and the database role;
OS-level isolation between servers is the container per clinician in production (DockerSpawner),
which this machine cannot run. Creating real OS users (LocalProcessSpawner as root) would leave
accounts behind on the machine if a run were killed, so the test does not.

The user servers get what the user image has (docs/deploy.md): the venv's bin on PATH and no
node (with node on PATH JupyterLab runs ``node yarn config`` at every start), and, unless
``as_installed``, no rfc3987-syntax (``image/rfc3987_syntax.py`` stands in for
``pip uninstall rfc3987-syntax``: importing it compiles Earley grammars for ~1-2.5 s).
With ``tls=(cert, key)`` the proxy serves https (deploy's TLS path) and every request
verifies against ``ca``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROXY = DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy"
HUB_PASSWORD = "synthetic hub password"  # DummyAuthenticator: test only
BIN = Path(sys.executable).parent
IMAGE = Path(__file__).resolve().parent / "image"


def ensure_proxy() -> Path:
    """configurable-http-proxy from deploy/package-lock.json (npm ci on first use)."""
    if not PROXY.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("the hub test needs node and npm (apt-get install -y nodejs npm)")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(DEPLOY)],
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
    return PROXY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


TEST_LAYER = """
c = get_config()  # noqa: F821
load_subconfig({deploy!r})  # noqa: F821 - the clinic's file, unchanged
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = [*c.Spawner.args, "--allow-root", "--ServerApp.shutdown_no_activity_timeout=0"]
c.Spawner.environment["KAP_NOTES_FAST_KDF"] = "1"  # the synthetic vault's test KDF
c.Spawner.environment["PATH"] = {path!r}
c.Spawner.environment["PYTHONPATH"] = {pythonpath!r}
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = "sqlite:///" + {state!r} + "/jupyterhub.sqlite"
c.JupyterHub.pid_file = {state!r} + "/jupyterhub.pid"
c.ConfigurableHTTPProxy.pid_file = {state!r} + "/proxy.pid"
c.JupyterHub.cleanup_servers = True
"""


@dataclass
class Hub:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    verify: str | bool = True  # the CA file when the hub serves https
    tokens: dict[str, str] = field(default_factory=dict)

    def api(self, method: str, path: str, who: str, **kw: Any) -> requests.Response:
        """A hub API call as ``who`` (their token)."""
        headers = {"Authorization": f"token {self.tokens[who]}"}
        return requests.request(
            method,
            f"{self.url}/hub/api{path}",
            headers=headers,
            timeout=30,
            verify=self.verify,
            **kw,
        )

    def user(self, method: str, path: str, who: str, **kw: Any) -> requests.Response:
        """A request through the proxy to a user server path (``/user/NAME/...``) as ``who``."""
        headers = {"Authorization": f"token {self.tokens[who]}"}
        return requests.request(
            method,
            f"{self.url}{path}",
            headers=headers,
            timeout=60,
            allow_redirects=False,
            verify=self.verify,
            **kw,
        )

    def login(self, name: str) -> str:
        """Sign in through the hub's login form (xsrf and all) and make an API token."""
        with requests.Session() as web:
            # per request: the environment's REQUESTS_CA_BUNDLE would override a session's verify
            verify = self.verify
            web.get(f"{self.url}/hub/login", verify=verify, timeout=30).raise_for_status()
            xsrf = web.cookies.get("_xsrf", "")
            form = {"username": name, "password": HUB_PASSWORD, "_xsrf": xsrf}
            logged_in = web.post(f"{self.url}/hub/login", data=form, verify=verify, timeout=30)
            logged_in.raise_for_status()
            xsrf = web.cookies.get("_xsrf", "", path="/hub/") or xsrf
            made = web.post(
                f"{self.url}/hub/api/users/{name}/tokens",
                json={"note": "kap-notes hub test", "expires_in": 3600},
                headers={"X-XSRFToken": xsrf, "Referer": f"{self.url}/hub/token"},
                verify=verify,
                timeout=30,
            )
            assert made.status_code == 201, (made.status_code, made.text, web.cookies.keys())
        self.tokens[name] = str(made.json()["token"])
        return self.tokens[name]

    def spawn(self, name: str, timeout: float = 90) -> float:
        """Start ``name``'s server; seconds until its JupyterLab page answers through the proxy."""
        start = time.perf_counter()
        reply = self.api("POST", f"/users/{name}/server", name)
        # 400 "already running": logging in may have started it already (the hub's redirect)
        started = reply.status_code == 400 and "already running" in reply.text
        assert reply.status_code in (201, 202) or started, reply.text
        while time.perf_counter() - start < timeout:
            page = self.user("GET", f"/user/{name}/lab", name)
            if page.status_code == 200 and "JupyterLab" in page.text:
                return time.perf_counter() - start
            time.sleep(0.05)
        raise TimeoutError(f"{name}'s server did not answer in {timeout} s:\n{self.tail()}")

    def stop_server(self, name: str) -> None:
        self.api("DELETE", f"/users/{name}/server", name)

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def running_hub(
    workdir: Path,
    *,
    vault_url: str,
    pgpass: Path | None,
    clinicians: str,
    admins: str,
    tls: tuple[Path, Path] | None = None,
    ca: Path | None = None,
    as_installed: bool = False,
) -> Iterator[Hub]:
    """deploy/jupyterhub_config.py on free ports under ``workdir``; stopped (with its proxy and
    every server it spawned) on exit."""
    proxy = ensure_proxy()
    state, homes = workdir / "hub", workdir / "homes"
    state.mkdir(parents=True)
    homes.mkdir()
    port = free_port()
    layer = TEST_LAYER.format(
        deploy=str(DEPLOY / "jupyterhub_config.py"),
        password=HUB_PASSWORD,
        homes=str(homes),
        singleuser=str(BIN / "jupyterhub-singleuser"),
        path=str(BIN),
        pythonpath="" if as_installed else str(IMAGE),
        hub_port=free_port(),
        api_port=free_port(),
        proxy=str(proxy),
        state=str(state),
    )
    config = state / "test_config.py"
    config.write_text(layer)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAP_", "PG", "JUPYTER"))}
    env |= {
        "KAP_HUB_CLINICIANS": clinicians,
        "KAP_HUB_ADMINS": admins,
        "KAP_HUB_VAULT_URL": vault_url,
        "KAP_HUB_PGPASSFILE": str(pgpass or ""),
        "KAP_HUB_BIND_URL": f"{'https' if tls else 'http'}://127.0.0.1:{port}",
        "KAP_HUB_SPAWNER": "simple",
        "KAP_HUB_COOKIE_SECRET": str(state / "cookie_secret"),
        "KAP_HUB_IDLE_TIMEOUT": "3600",
        "CONFIGPROXY_AUTH_TOKEN": os.urandom(16).hex(),
    }
    if tls:
        env |= {"KAP_HUB_SSL_CERT": str(tls[0]), "KAP_HUB_SSL_KEY": str(tls[1])}
    log = state / "hub.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(config)],
            cwd=state,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    scheme = "https" if tls else "http"
    hub = Hub(f"{scheme}://127.0.0.1:{port}", process, log, str(ca) if ca else True)
    try:
        _wait_ready(hub)
        yield hub
    finally:
        _stop(hub, state)


def _wait_ready(hub: Hub, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            raise RuntimeError(f"JupyterHub exited:\n{hub.tail()}")
        with contextlib.suppress(requests.ConnectionError):
            answer = requests.get(f"{hub.url}/hub/api/", timeout=5, verify=hub.verify)
            if answer.status_code == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(f"JupyterHub did not answer in {timeout} s:\n{hub.tail()}")


def _stop(hub: Hub, state: Path) -> None:
    """SIGTERM the hub (it stops its servers and proxy: cleanup_servers), then make sure."""
    if hub.process.poll() is None:
        hub.process.send_signal(signal.SIGTERM)
        try:
            hub.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(hub.process.pid, signal.SIGKILL)
            hub.process.wait()
    for pid_file in (state / "proxy.pid",):
        with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
    # our session's leftovers (servers run in the hub's process group's session)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(hub.process.pid, signal.SIGTERM)


def redacted(text: str) -> str:
    return re.sub(r"token [0-9a-f]+", "token …", text)
