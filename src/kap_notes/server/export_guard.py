"""No plaintext leaves the vault through Jupyter's own routes.

Notebooks under the vault folder are decrypted only to be shown in JupyterLab. Every other way
out that jupyter_server offers is closed here or in :mod:`kap_notes.server.contents`:

- ``/files/<vault path>`` (and its ``?download=1`` link): refused (:class:`GuardedFilesHandler`,
  installed as the contents manager's ``files_handler_class``).
- ``GET /nbconvert/<format>/<vault path>``: refused for every format except ``kap_pdf``, whose
  output is always AES-256 protected; that export is audited (``export`` entry) before the bytes
  are sent (:class:`GuardedNbconvertFileHandler`).
- ``POST /nbconvert/<format>`` with a vault notebook's content: refused
  (:class:`GuardedNbconvertPostHandler`).
- Copies, moves and saves into plain storage: refused by the contents manager, which uses
  :func:`carries_vault_notebook` to recognise a vault notebook's content however it is sent.

Refusals are JSON ``{"message", "reason"}`` like the contents API's, with a message a clinician
can act on.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Awaitable
from http.client import responses
from typing import Any

from anyio.to_thread import run_sync
from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import AuthenticatedFileHandler, JupyterHandler, path_regex
from jupyter_server.nbconvert.handlers import (
    NbconvertFileHandler,
    NbconvertPostHandler,
    get_exporter,
)
from jupyter_server.utils import url_path_join
from tornado import web

from kap_notes.server.vault_notebooks import marked_patient

#: The one nbconvert format allowed for vault notebooks: the encrypted kap-notes PDF.
PROTECTED_FORMAT = "kap_pdf"

COPY_REFUSED = (
    "Notebooks in kap-vault/ hold patient data and can't be copied outside the vault; "
    "export an encrypted PDF instead"
)
MOVE_REFUSED = (
    "Notebooks in kap-vault/ hold patient data and can't be moved or renamed; "
    "save a copy in the same patient's folder, or export an encrypted PDF"
)
EXPORT_REFUSED = (
    "Notebooks in kap-vault/ hold patient data and can't be downloaded or exported as {format}; "
    "export an encrypted PDF instead (Export PDF in the Patient progress view, or "
    'Save and Export Notebook As "KAP PDF (encrypted)")'
)
OPEN_AS_NOTEBOOK = (
    "Notebooks in kap-vault/ hold patient data and open only as notebooks (not as files or "
    "text); export an encrypted PDF to take a copy"
)


class VaultRefusal(web.HTTPError):
    """A refused way out of the vault (403 unless told otherwise), answered as JSON."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(status, message)
        self.message = message


# ---------------------------------------------------------------- recognising vault content
def _notebook_dict(model: dict[str, Any]) -> dict[str, Any] | None:
    """The notebook a contents model carries, whether as a notebook, JSON text or base64."""
    content = model.get("content")
    if isinstance(content, dict):
        return content
    if not isinstance(content, str):
        return None
    text = content
    if model.get("format") == "base64":
        try:
            text = base64.b64decode(content, validate=False).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            return None
    if not text.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def carries_vault_notebook(model: dict[str, Any]) -> bool:
    """True if ``model`` (a contents model about to be saved) holds a vault notebook."""
    notebook = _notebook_dict(model)
    return notebook is not None and marked_patient(notebook) is not None


# ------------------------------------------------------------------------------ handlers
async def _done(result: Awaitable[None] | None) -> None:
    """Await a decorated handler method's result (the decorators type it as optional)."""
    if result is not None:
        await result


def _is_vault_path(handler: JupyterHandler, path: str) -> bool:
    check = getattr(handler.contents_manager, "is_vault_path", None)
    return bool(check is not None and check(path))


class _JsonRefusals(JupyterHandler):
    """Errors of vault requests as JSON (like the contents API), not an HTML page."""

    vault_request = False

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if not (self.vault_request and isinstance(exc, web.HTTPError)):
            super().write_error(status_code, **kwargs)
            return
        message = getattr(exc, "message", None) or exc.log_message or responses.get(status_code)
        self.set_header("Content-Type", "application/json")
        self.clear_header("Content-Disposition")
        self.finish(json.dumps({"message": message, "reason": exc.reason}))


class GuardedFilesHandler(_JsonRefusals, AuthenticatedFileHandler):
    """``/files/``: ordinary files as before; vault notebooks are never served as files."""

    def _refuse_vault(self, path: str) -> None:
        if _is_vault_path(self, path):
            self.vault_request = True
            raise VaultRefusal(EXPORT_REFUSED.format(format="a file"))

    @web.authenticated
    @authorized
    def head(self, path: str) -> Any:  # type: ignore[override]
        self._refuse_vault(path)
        return super().head(path)

    @web.authenticated
    @authorized
    def get(self, path: str, **kwargs: Any) -> Any:  # type: ignore[override]
        self._refuse_vault(path)
        return super().get(path, **kwargs)


class GuardedNbconvertFileHandler(_JsonRefusals, NbconvertFileHandler):
    """``GET /nbconvert/<format>/<path>``: vault notebooks only as the encrypted, audited PDF."""

    @web.authenticated
    @authorized
    async def get(self, format: str, path: str) -> None:
        if not _is_vault_path(self, path):
            await _done(super().get(format, path))
            return
        self.vault_request = True
        self.check_xsrf_cookie()
        if format != PROTECTED_FORMAT:
            raise VaultRefusal(EXPORT_REFUSED.format(format=format))
        await self._export_protected(path.strip("/"))

    async def _export_protected(self, path: str) -> None:
        manager: Any = self.contents_manager
        model = await ensure_async(manager.get(path=path))  # 423 when the vault is locked
        if model["type"] != "notebook":
            raise VaultRefusal("Only notebooks in kap-vault/ can be exported", 422)
        exporter = get_exporter(  # type: ignore[no-untyped-call]
            PROTECTED_FORMAT, config=self.config, log=self.log
        )
        if not getattr(exporter, "passphrase", None):
            raise VaultRefusal(
                "kap-notes PDFs are always encrypted and this server has no export passphrase "
                "(c.KapPdfExporter.passphrase): use File → Save and Export Notebook As → KAP PDF "
                "(encrypted) in JupyterLab, or Export PDF in the Patient progress view; both "
                "show a one-time passphrase",
                422,
            )
        name = str(model["name"])
        resources = {"metadata": {"name": os.path.splitext(name)[0]}}
        try:
            output, resources = await run_sync(
                lambda: exporter.from_notebook_node(model["content"], resources=resources)
            )
        except Exception as exc:
            self.log.exception("kap-notes: encrypted PDF export failed")
            raise VaultRefusal(f"The encrypted PDF could not be made: {exc}", 500) from exc
        await manager.audit_export(path)  # before a single byte leaves
        if self.get_argument("download", "false").lower() in ("true", "1"):
            self.set_attachment_header(os.path.splitext(name)[0] + resources["output_extension"])
        self.set_header("Content-Type", exporter.output_mimetype)
        self.set_header("Cache-Control", "no-store, no-cache, must-revalidate, max-age=0")
        self.finish(output)


class GuardedNbconvertPostHandler(_JsonRefusals, NbconvertPostHandler):
    """``POST /nbconvert/<format>``: ordinary notebooks as before; a vault notebook's content
    (recognised by its marker) is refused in every format."""

    @web.authenticated
    @authorized
    async def post(self, format: str) -> None:
        model = self.get_json_body()
        if isinstance(model, dict) and carries_vault_notebook(model):
            self.vault_request = True
            raise VaultRefusal(EXPORT_REFUSED.format(format=format))
        await _done(super().post(format))


def setup_export_guard(web_app: web.Application) -> None:
    """Route nbconvert through the guarded handlers (extension routes match before the
    server's own; ``/files/`` is guarded through the contents manager's handler class)."""
    base = web_app.settings["base_url"]
    fmt = r"(?P<format>\w+)"
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, rf"/nbconvert/{fmt}"), GuardedNbconvertPostHandler),
            (url_path_join(base, rf"/nbconvert/{fmt}{path_regex}"), GuardedNbconvertFileHandler),
        ],
    )
