"""A ContentsManager that keeps the vault folder encrypted and ordinary notebooks untouched.

- Paths under the vault folder are served from the vault (see :mod:`vault_notebooks`); a locked
  vault answers 423 with a clear message, never a traceback. Their checkpoints are the vault's
  own record versions: no plaintext checkpoint file is ever written.
- Notebooks made by the KAP launcher tiles (``metadata.kap_notes.phi``) are saved without
  outputs, execution counts or widget state, so no PHI reaches the disk.
- No vault notebook reaches plain storage: copies, moves and saves of vault content outside its
  patient's folder are refused, vault notebooks are served only as notebooks (never as files or
  text), and ``/files/`` refuses them (see :mod:`kap_notes.server.export_guard`).
- Everything else behaves exactly like jupyter_server's default manager.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado.web import HTTPError
from traitlets import default

from kap_notes.agent.keyholder import KeyHolder
from kap_notes.model.patient import InvalidInput
from kap_notes.server import outcomes, vault_notebooks
from kap_notes.server.export_guard import (
    COPY_REFUSED,
    MOVE_REFUSED,
    OPEN_AS_NOTEBOOK,
    GuardedFilesHandler,
    VaultRefusal,
    carries_vault_notebook,
)
from kap_notes.vault.errors import NotAuthorised, UnknownPatient, UnknownRecord, VaultLocked
from kap_notes.vault.session import Session


def strip_phi(model: dict[str, Any]) -> dict[str, Any]:
    """A launcher notebook without outputs, execution counts or widget state."""
    content = model.get("content")
    if model.get("type") != "notebook" or not isinstance(content, dict):
        return model
    if not content.get("metadata", {}).get("kap_notes", {}).get("phi"):
        return model
    metadata = {k: v for k, v in content.get("metadata", {}).items() if k != "widgets"}
    cells = []
    for cell in content.get("cells", []):
        clean = dict(cell)
        if clean.get("cell_type") == "code":
            clean["outputs"], clean["execution_count"] = [], None
        cells.append(clean)
    return {**model, "content": {**content, "metadata": metadata, "cells": cells}}


class KapContentsManager(AsyncLargeFileManager):
    """jupyter_server's file manager plus the encrypted vault folder."""

    keyholder: KeyHolder | None = None
    vault_folder = "kap-vault"

    @default("files_handler_class")
    def _files_handler_class_default(self) -> type:
        return GuardedFilesHandler

    def is_vault_path(self, path: str) -> bool:
        """True if ``path`` (an API path) names the vault folder or anything in it."""
        return self._relative(path) is not None

    def _chart_of(self, path: str) -> str | None:
        """The patient folder (chart code) a vault path lies in, if any."""
        relative = self._relative(path)
        if relative is None:
            return None
        return relative.strip("/").split("/")[0] or None

    def _relative(self, path: str) -> str | None:
        path = path.strip("/")
        if self.keyholder is None or not self.keyholder.vault_path:
            return None
        if path == self.vault_folder:
            return ""
        prefix = self.vault_folder + "/"
        return path[len(prefix) :] if path.startswith(prefix) else None

    async def _vault(self, work: Callable[[Session], Any]) -> Any:
        assert self.keyholder is not None  # noqa: S101 - _relative checked it
        try:
            return await asyncio.to_thread(self.keyholder.with_session, work)
        except VaultLocked as exc:
            raise HTTPError(
                423, "The vault is locked: unlock it (KAP in the status bar), then reopen this"
            ) from exc
        except (UnknownRecord, UnknownPatient) as exc:
            raise HTTPError(404, str(exc)) from exc
        except NotAuthorised as exc:
            raise HTTPError(403, str(exc)) from exc
        except InvalidInput as exc:
            raise HTTPError(400, str(exc)) from exc

    async def get(
        self,
        path: str,
        content: bool = True,
        type: str | None = None,
        format: str | None = None,
        require_hash: bool = False,
    ) -> dict[str, Any]:
        relative = self._relative(path)
        if relative is None:
            model: dict[str, Any] = await super().get(
                path, content=content, type=type, format=format, require_hash=require_hash
            )
            if path.strip("/") == "" and content and self._relative(self.vault_folder) == "":
                listing = [m for m in model["content"] if m["name"] != self.vault_folder]
                model["content"] = [*listing, vault_notebooks.folder_model(self.vault_folder)]
            return model
        if type == "file" or format in ("text", "base64"):
            raise VaultRefusal(OPEN_AS_NOTEBOOK)
        folder = self.vault_folder
        result: dict[str, Any] = await self._vault(
            lambda s: vault_notebooks.get(
                s, folder, relative, content=content, require_hash=require_hash
            )
        )
        return result

    async def save(self, model: dict[str, Any], path: str = "") -> dict[str, Any]:
        relative = self._relative(path)
        if relative is None:
            if carries_vault_notebook(model):
                raise VaultRefusal(COPY_REFUSED)
            saved: dict[str, Any] = await super().save(strip_phi(model), path)
            return saved
        folder = self.vault_folder
        result: dict[str, Any] = await self._vault(
            lambda s: vault_notebooks.save(s, folder, relative, model)
        )
        return result

    async def delete_file(self, path: str) -> None:
        if self._relative(path) is not None:
            raise HTTPError(403, "Notebooks in the vault are part of the record and are kept")
        await super().delete_file(path)

    async def rename_file(self, old_path: str, new_path: str) -> None:
        if self._relative(old_path) is not None:
            raise VaultRefusal(MOVE_REFUSED)
        if self._relative(new_path) is not None:
            raise HTTPError(403, "Use Save As to copy a notebook into a patient's vault folder")
        await super().rename_file(old_path, new_path)

    async def copy(self, from_path: str, to_path: str | None = None) -> dict[str, Any]:
        """Copies out of the vault stay in the same patient's folder (stored encrypted)."""
        if self._relative(from_path) is not None:
            destination = from_path if to_path is None else to_path
            source, target = self._chart_of(from_path), self._chart_of(destination)
            if self._relative(destination) is None or source is None or target is None:
                raise VaultRefusal(COPY_REFUSED)
            if target != source:
                raise VaultRefusal(vault_notebooks.OTHER_PATIENT)
        result: dict[str, Any] = await super().copy(from_path, to_path)
        return result

    def exists(self, path: str) -> bool | Awaitable[bool]:  # type: ignore[override]
        """Plain paths answer synchronously (the file manager's own ``get`` calls this without
        awaiting); vault paths return an awaitable (jupyter_server awaits ``exists``)."""
        if self._relative(path) is None:
            result: bool | Awaitable[bool] = super().exists(path)
            return result
        return self._vault_exists(path)

    async def _vault_exists(self, path: str) -> bool:
        return await self.dir_exists(path) or await self.file_exists(path)

    async def audit_export(self, path: str) -> None:
        """Record an ``export`` audit entry for the vault notebook at ``path``."""
        relative = self._relative(path)
        if relative is None:
            return
        await self._vault(lambda s: vault_notebooks.log_export(s, relative))

    async def dir_exists(self, path: str) -> bool:
        relative = self._relative(path)
        if relative is None:
            return bool(await super().dir_exists(path))
        return "/" not in relative and not outcomes.is_outcomes(relative)

    async def file_exists(self, path: str = "") -> bool:
        relative = self._relative(path)
        if relative is None:
            return bool(await super().file_exists(path))
        if relative.count("/") != 1 and not outcomes.is_outcomes(relative):
            return False
        folder = self.vault_folder
        return bool(await self._vault(lambda s: vault_notebooks.exists(s, folder, relative)))

    async def is_hidden(self, path: str) -> bool:
        return False if self._relative(path) is not None else bool(await super().is_hidden(path))

    # Checkpoints of vault notebooks are the vault's record versions: never a plaintext file.
    async def create_checkpoint(self, path: str) -> dict[str, Any]:
        if self._relative(path) is not None:
            return {"id": "vault", "last_modified": dt.datetime.now(dt.timezone.utc)}
        result: dict[str, Any] = await super().create_checkpoint(path)
        return result

    async def list_checkpoints(self, path: str) -> list[dict[str, Any]]:
        if self._relative(path) is not None:
            return []
        result: list[dict[str, Any]] = await super().list_checkpoints(path)
        return result

    async def restore_checkpoint(self, checkpoint_id: str, path: str) -> None:
        if self._relative(path) is not None:
            raise HTTPError(400, "Earlier versions of vault notebooks are kept in the vault")
        await super().restore_checkpoint(checkpoint_id, path)

    async def delete_checkpoint(self, checkpoint_id: str, path: str) -> None:
        if self._relative(path) is None:
            await super().delete_checkpoint(checkpoint_id, path)
