"""The kap-notes kernel the launcher tiles use keeps no IPython history."""

from __future__ import annotations

from typing import Any

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel


def test_kernelspec_is_installed_with_history_off() -> None:
    spec = KernelSpecManager().get_kernel_spec("kap-notes")
    assert "--HistoryManager.enabled=False" in spec.argv
    assert spec.language == "python"


def test_a_kap_notes_kernel_really_records_no_history() -> None:
    outputs: list[dict[str, Any]] = []
    manager, client = start_new_kernel(kernel_name="kap-notes", startup_timeout=120)
    try:
        reply = client.execute_interactive(
            "print('history', get_ipython().history_manager.enabled)",
            timeout=60,
            output_hook=outputs.append,
        )
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok"
    text = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
    assert "history False" in text
