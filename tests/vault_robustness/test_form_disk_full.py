"""Issue 12, deliver 4, in the form: the vault's disk fills while a clinician types. Saving says
the disk is full and that nothing was saved, the typed text stays in the form (still waiting to
be saved), and once space returns the same form saves it. The form runs against the real key
agent (a KeyHolder on a Unix socket, as in a kernel) over a vault on a real 2 MiB filesystem."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import kap_notes
from kap_notes.agent.client import AgentTransport
from kap_notes.agent.keyholder import KeyHolder
from kap_notes.agent.server import AgentServer
from kap_notes.service.backend import Backend
from kap_notes.service.notes import list_notes
from kap_notes.vault import audit
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.vault import Vault
from tests.conftest import PASSPHRASES, create_clinic_vault, synthetic_patient
from tests.vault_robustness._smallfs import SmallFs, small_filesystem
from tests.widgets.test_widgets_form_view import type_into

TYPED = "Synthetic hope typed while the disk was full 7K2"


@pytest.fixture
def smallfs(tmp_path: Path) -> Iterator[SmallFs]:
    with small_filesystem(tmp_path) as mounted:
        yield mounted


@pytest.fixture
def holder(smallfs: SmallFs, tmp_path: Path) -> Iterator[tuple[KeyHolder, AgentTransport]]:
    """A clinic vault on the small filesystem, and its key agent serving kernels."""
    created, _codes = create_clinic_vault(smallfs.path / "vault")
    created.vault.close()
    keyholder = KeyHolder(str(smallfs.path / "vault"), kdf_floor=FAST_KDF)
    server = AgentServer(keyholder, tmp_path / "agent.sock")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    yield keyholder, AgentTransport(str(server.path))
    keyholder.lock()
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_the_form_keeps_what_was_typed_while_the_disk_is_full(
    holder: tuple[KeyHolder, AgentTransport], smallfs: SmallFs
) -> None:
    keyholder, transport = holder
    keyholder.unlock("tess", PASSPHRASES["tess"])
    backend = Backend(transport)
    patient = backend.add_patient({"chart_code": "KAP-F1", **synthetic_patient()})
    form = kap_notes.open_form("intention", patient=patient, backend=backend)
    view = form.view
    assert view is not None
    assert view.lifecycle is not None
    smallfs.fill()
    type_into(view.body, "hopes", TYPED)
    view.lifecycle.save_button.click()
    # the clinician reads what happened and what to do; the text is still there, unsaved
    assert "The vault's disk is full: nothing was saved; what you typed is still in the form" in (
        view.status_text
    )
    assert view.value["hopes"] == TYPED
    assert view.dirty
    outcome = view.autosave_tick()  # autosave fails the same way, keeping the input
    assert outcome is not None
    assert not outcome.ok
    assert view.value["hopes"] == TYPED
    # space returns: the same form saves it
    smallfs.free()
    view.lifecycle.save_button.click()
    assert "Draft saved" in view.status_text
    assert not view.dirty
    tess = Vault.open(str(smallfs.path / "vault"), kdf_floor=FAST_KDF).unlock(
        "tess", PASSPHRASES["tess"]
    )
    try:
        (note,) = list_notes(tess, patient)
        assert note.answers["hopes"] == TYPED
        assert audit.verify_chain(tess.store, tess.vault.vault_id).ok
    finally:
        tess.vault.close()
