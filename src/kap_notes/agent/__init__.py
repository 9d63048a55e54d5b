"""The key agent: one unlocked session per Jupyter server, shared with the kernels it starts.

Shape (like ssh-agent / gpg-agent): the server process holds the only copy of the unlocked keys in
a :class:`~kap_notes.agent.keyholder.KeyHolder`. Kernels reach it over a Unix socket (mode 0600,
peer uid checked) whose path is in ``KAP_NOTES_AGENT``; they send operations, never receive keys.
Locking — by button, command or idle timeout — drops the keys in that one place, so every kernel
is locked at once.
"""

from __future__ import annotations

ENV_VAR = "KAP_NOTES_AGENT"
