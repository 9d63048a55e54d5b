"""The hub user ↔ vault user binding (kap_notes.server.hub), without a hub: the rules the
REST handlers apply; tests/hub/test_hub.py proves them through a real JupyterHub."""

from __future__ import annotations

import pytest

from kap_notes.errors import NotAuthorised
from kap_notes.server import hub

ON_HUB = {"JUPYTERHUB_USER": "tess"}


def test_a_hub_server_unlocks_only_as_its_own_user() -> None:
    hub.check_unlock("tess", "tess", ON_HUB)
    with pytest.raises(NotAuthorised, match="unlocks only as vault user tess, not theo") as info:
        hub.check_unlock("theo", "tess", ON_HUB)
    assert info.value.status == 403


def test_only_the_servers_owner_may_use_it() -> None:
    with pytest.raises(NotAuthorised, match="belongs to tess: only tess may use it"):
        hub.check_requester("ada", ON_HUB)
    with pytest.raises(NotAuthorised, match="only tess"):
        hub.check_unlock("tess", "ada", ON_HUB)  # even naming the right vault user
    hub.check_requester("tess", ON_HUB)


def test_the_clinic_mapping_names_the_vault_user() -> None:
    env = {**ON_HUB, "KAP_NOTES_VAULT_USER": "tess.taylor"}
    assert hub.bound_vault_user(env) == "tess.taylor"
    hub.check_unlock("tess.taylor", "tess", env)
    with pytest.raises(NotAuthorised):
        hub.check_unlock("tess", "tess", env)


def test_outside_jupyterhub_nothing_is_bound() -> None:
    assert hub.bound_vault_user({}) is None
    hub.check_unlock("theo", "anyone", {})
    hub.check_requester("anyone", {"JUPYTERHUB_USER": ""})
