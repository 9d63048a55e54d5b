"""JupyterHub for a kap-notes group practice (JupyterHub 5/6): one server per clinician, a hub
admin who cannot enter anyone's server, TLS at the proxy, idle culling, and a PostgreSQL vault
reached as the runtime role (never the owner). docs/deploy.md explains every choice;
tests/hub/test_hub.py runs this file (with a local spawner) against a real hub.

Clinic settings come from the environment so that one file serves every clinic:

KAP_HUB_CLINICIANS   hub users who document (comma-separated), e.g. "tess,theo,sam"
KAP_HUB_ADMINS       hub admins (custom role below; also allowed to sign in)
KAP_HUB_VAULT_USERS  optional JSON {"hub name": "vault user"}; default: the same name
KAP_HUB_VAULT_URL    the vault as the RUNTIME role, no password in it, e.g.
                     postgresql://kapnotes_app@db:5432/kap_vault?sslmode=verify-full&sslrootcert=…
KAP_HUB_PGPASSFILE   the runtime role's .pgpass inside the user server (mode 0600)
KAP_HUB_BIND_URL     public URL the proxy listens on (default https://:443)
KAP_HUB_SSL_CERT / KAP_HUB_SSL_KEY   TLS certificate and key (required unless the URL is
                     http:// on a loopback address, e.g. behind a TLS-terminating proxy)
KAP_HUB_IDLE_TIMEOUT seconds before the idle culler stops a server (default 3600)
KAP_HUB_SPAWNER      the spawner: an entry-point name ("docker", "kubespawner", "localprocess",
                     the default) or an import path; wrapped so the hub sees the server at once
"""

import asyncio
import ipaddress
import json
import os
import sys
import time
from importlib.metadata import entry_points
from urllib.parse import urlsplit

from traitlets.utils.importstring import import_item

c = get_config()  # type: ignore[name-defined]  # noqa: F821 - provided by JupyterHub

CLINICIANS = {u.strip() for u in os.environ.get("KAP_HUB_CLINICIANS", "").split(",") if u.strip()}
ADMINS = {u.strip() for u in os.environ.get("KAP_HUB_ADMINS", "").split(",") if u.strip()}
VAULT_USERS: dict[str, str] = json.loads(os.environ.get("KAP_HUB_VAULT_USERS") or "{}")
IDLE_TIMEOUT = int(os.environ.get("KAP_HUB_IDLE_TIMEOUT", "3600"))

# ------------------------------------------------------------------ who may sign in, and do what
c.Authenticator.allowed_users = CLINICIANS | ADMINS
# Nobody gets JupyterHub's built-in "admin" role: it cannot be edited and holds access:servers,
# tokens and shares, each of which opens a clinician's running server (with its unlocked keys).
# (c.JupyterHub.admin_access has done nothing since JupyterHub 2.0.)
c.Authenticator.admin_users = set()
c.JupyterHub.load_roles = [
    {
        "name": "user",  # the default, spelled out: a user's own things only, no sharing
        "scopes": ["self"],
    },
    {
        "name": "clinic-hub-admin",
        "description": "See users and servers, start and stop servers; never enter them",
        # Deliberately absent: access:servers, shares, tokens, admin:users (renames users,
        # reads auth state), admin:server_state, proxy, admin:services.
        "scopes": [
            "admin-ui",
            "list:users",
            "read:users",
            "servers",
            "read:hub",
            "list:services",
            "read:services",
            "read:roles",
            "read:metrics",
        ],
        "users": sorted(ADMINS),
    },
    {
        "name": "idle-culler",
        "description": "Stop idle servers (stopping a server drops its keys)",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    },
]
c.JupyterHub.allow_named_servers = False  # one server (one set of unlocked keys) per clinician

# ---------------------------------------------------------------------- idle culling (installed)
# pip install jupyterhub-idle-culler in the hub's environment; kap-notes' own auto-lock drops the
# keys earlier (c.KapNotesApp.auto_lock_minutes) while the server keeps running.
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [
            sys.executable,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={IDLE_TIMEOUT}",
            "--cull-every=60",
        ],
    }
]

# ------------------------------------------------------------------------------- TLS at the proxy
BIND_URL = os.environ.get("KAP_HUB_BIND_URL", "https://:443")
c.JupyterHub.bind_url = BIND_URL
_parts = urlsplit(BIND_URL)
if os.environ.get("KAP_HUB_SSL_CERT"):
    c.JupyterHub.ssl_cert = os.environ["KAP_HUB_SSL_CERT"]
    c.JupyterHub.ssl_key = os.environ["KAP_HUB_SSL_KEY"]
elif _parts.scheme != "http" or not ipaddress.ip_address(_parts.hostname or "0.0.0.0").is_loopback:  # noqa: S104
    # Passphrases are typed into JupyterLab and cross the proxy: never in the clear.
    raise SystemExit(
        "kap-notes hub: set KAP_HUB_SSL_CERT and KAP_HUB_SSL_KEY (TLS), or bind http:// to a "
        "loopback address behind a TLS-terminating proxy"
    )
c.JupyterHub.cookie_secret_file = os.environ.get(
    "KAP_HUB_COOKIE_SECRET", "/srv/jupyterhub/jupyterhub_cookie_secret"
)

# ------------------------------------------------------------------- the user servers and the vault
c.Spawner.default_url = "/lab"
c.Spawner.http_timeout = 60
# Start-up work a clinic server does not need (docs/deploy.md, "Spawn time"): no language-server
# scan, no extension manager (nobody installs extensions into a server holding PHI keys), no
# news or update checks (no calls out of the clinic network).
c.Spawner.args = [
    "--ServerApp.jpserver_extensions",
    "jupyter_lsp=False",
    "--LabApp.extension_manager=readonly",
    "--LabApp.news_url=",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
]


def _spawner_base(name: str) -> type:
    if "." in name:
        return import_item(name)  # type: ignore[no-any-return]
    return entry_points(group="jupyterhub.spawners")[name].load()  # type: ignore[no-any-return]


async def _listening(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=1)
    except (OSError, asyncio.TimeoutError):
        return False
    writer.close()
    return True


def ready_when_listening(base: type) -> type:
    """``base`` whose ``start()`` returns once the server accepts connections (polled every
    50 ms). JupyterHub then finds it on its first try, instead of polling with exponential
    backoff (waits up to 0.2, 0.4, 0.8, 1.6, 3.2, 5 s), which added 1-3 s to every spawn."""

    class ReadyWhenListening(base):  # type: ignore[misc, valid-type]
        async def start(self):  # type: ignore[no-untyped-def]
            started = await super().start()
            if isinstance(started, tuple):
                host, port = started[0] or "127.0.0.1", int(started[1])
            else:
                url = urlsplit(str(started))
                host, port = url.hostname or "127.0.0.1", int(url.port or 80)
            deadline = time.monotonic() + min(30.0, float(self.http_timeout))
            host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
            while time.monotonic() < deadline and not await _listening(host, port):
                if await self.poll() is not None:
                    break  # it died: the hub reports that
                await asyncio.sleep(0.05)
            return started

    ReadyWhenListening.__name__ = f"ReadyWhenListening{base.__name__}"
    return ReadyWhenListening


c.JupyterHub.spawner_class = ready_when_listening(
    _spawner_base(os.environ.get("KAP_HUB_SPAWNER", "localprocess"))
)


def _vault_user(spawner: object) -> str:
    """The only vault user this hub user's server unlocks as (kap_notes.server.hub)."""
    name = str(spawner.user.name)  # type: ignore[attr-defined]
    return str(VAULT_USERS.get(name, name))


c.Spawner.environment = {
    # the runtime role: no DELETE/UPDATE/TRUNCATE on history (kap-notes pg-roles); the owner
    # role's credentials never reach a user server
    "KAP_NOTES_VAULT": os.environ.get("KAP_HUB_VAULT_URL", ""),
    "PGPASSFILE": os.environ.get("KAP_HUB_PGPASSFILE", "/run/secrets/kap-pgpass"),
    "KAP_NOTES_VAULT_USER": _vault_user,
}
# Production spawns one container per clinician (KAP_HUB_SPAWNER=docker shown; KubeSpawner is
# the same):
#   c.DockerSpawner.image = "registry.clinic.internal/kap-notes-user:1.0"
#   c.DockerSpawner.volumes = {"/srv/kap/runtime.pgpass": {"bind": "/run/secrets/kap-pgpass",
#                                                          "mode": "ro"}}
