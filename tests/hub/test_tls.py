"""TLS end to end: deploy/jupyterhub_config.py's TLS path (KAP_HUB_SSL_CERT/KEY) on a real hub
with a throwaway clinic CA. Sign-in, the spawned server and an unlock (a passphrase) work over
https verified against that CA; plain http to the same port gets no hub page; and the config
refuses to bind anything but loopback without TLS. The vault is a SQLite file (the PostgreSQL
deployment is tests/hub/test_hub.py)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from traitlets.config.loader import PyFileConfigLoader

from tests.hub import harness
from tests.hub.certs import Certs, make_certs
from tests.vault_robustness.conftest import PASSPHRASES, make_clinic

API = "/kap-notes/api"


@dataclass
class TlsHub:
    hub: harness.Hub
    certs: Certs


@pytest.fixture(scope="module")
def tls_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsHub]:
    tmp = tmp_path_factory.mktemp("tls")
    certs = make_certs(tmp)
    vault = tmp / "vault"
    make_clinic(str(vault)).close()
    with harness.running_hub(
        tmp / "run",
        vault_url=str(vault),
        pgpass=None,
        clinicians="tess",
        admins="ada",
        tls=(certs.cert, certs.key),
        ca=certs.ca,
    ) as hub:
        yield TlsHub(hub, certs)


def test_sign_in_and_the_server_work_over_https(tls_hub: TlsHub) -> None:
    hub = tls_hub.hub
    assert hub.url.startswith("https://127.0.0.1:")
    hub.login("tess")  # the login form over https, verified against the clinic CA
    assert hub.spawn("tess") > 0  # JupyterLab through the proxy, over https
    unlocked = hub.user(
        "POST",
        f"/user/tess{API}/unlock",
        "tess",
        json={"user": "tess", "passphrase": PASSPHRASES["tess"]},
    )
    assert unlocked.status_code == 200, unlocked.text
    status = hub.user("GET", f"/user/tess{API}/status", "tess")
    assert status.json()["unlocked"] is True
    assert status.url.startswith("https://")


def test_the_proxy_serves_the_clinics_certificate(tls_hub: TlsHub) -> None:
    url = urlsplit(tls_hub.hub.url)
    served = ssl.get_server_certificate((url.hostname or "", url.port or 443))
    assert ssl.PEM_cert_to_DER_cert(served) == ssl.PEM_cert_to_DER_cert(
        tls_hub.certs.cert.read_text()
    )
    # a client that does not trust the clinic CA refuses the connection
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{tls_hub.hub.url}/hub/login", timeout=10, verify=True)


def test_plain_http_to_the_tls_port_gets_no_hub(tls_hub: TlsHub) -> None:
    plain = tls_hub.hub.url.replace("https://", "http://")
    # the TLS listener drops a cleartext request: no page, no cookie, no redirect to https
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{plain}/hub/login", timeout=10, allow_redirects=False)


def _load(monkeypatch: pytest.MonkeyPatch, bind: str, cert: Path | None = None) -> object:
    """deploy/jupyterhub_config.py evaluated as JupyterHub would, with this bind URL."""
    for name in ("KAP_HUB_SSL_CERT", "KAP_HUB_SSL_KEY", "KAP_HUB_SPAWNER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KAP_HUB_BIND_URL", bind)
    if cert is not None:
        monkeypatch.setenv("KAP_HUB_SSL_CERT", str(cert))
        monkeypatch.setenv("KAP_HUB_SSL_KEY", str(cert.with_suffix(".key")))
    return PyFileConfigLoader("jupyterhub_config.py", path=str(harness.DEPLOY)).load_config()


@pytest.mark.parametrize(
    "bind",
    [
        "http://0.0.0.0:8000",
        "http://:8000",
        "http://10.20.30.40:80",
        "http://[::]:8000",
        "https://127.0.0.1:8443",  # https without a certificate
        "https://:443",
    ],
)
def test_the_config_refuses_to_serve_without_tls(
    monkeypatch: pytest.MonkeyPatch, bind: str
) -> None:
    with pytest.raises(SystemExit, match="set KAP_HUB_SSL_CERT and KAP_HUB_SSL_KEY"):
        _load(monkeypatch, bind)


def test_the_config_accepts_tls_or_loopback_http(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = _load(monkeypatch, "https://:443", tmp_path / "hub.pem")
    assert config.JupyterHub.ssl_cert == str(tmp_path / "hub.pem")  # type: ignore[attr-defined]
    assert config.JupyterHub.ssl_key == str(tmp_path / "hub.key")  # type: ignore[attr-defined]
    for loopback in ("http://127.0.0.1:8000", "http://[::1]:8000"):
        config = _load(monkeypatch, loopback)
        assert config.JupyterHub.bind_url == loopback  # type: ignore[attr-defined]
        assert "ssl_cert" not in config.JupyterHub  # type: ignore[attr-defined]
