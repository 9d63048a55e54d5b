"""REST API under ``/kap-notes/api/`` (described in ``openapi.yaml``): thin handlers that map
domain errors to JSON with clear messages and an HTTP status."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from kap_notes.agent.confirm import UnknownConfirmation
from kap_notes.agent.keyholder import KeyHolder
from kap_notes.forms.settings_schema import AUTO_LOCK, THRESHOLDS, check_settings
from kap_notes.model.patient import InvalidInput
from kap_notes.service.backend import NotConfirmed
from kap_notes.service.lifecycle import NotSignable
from kap_notes.service.operations import OPERATIONS, error_payload, is_domain_error
from kap_notes.vault import errors

AUTH_RESOURCE = "kap-notes"

#: Domain error → HTTP status. Anything else a clinician can act on is 400.
STATUS = {
    errors.VaultLocked: 423,
    errors.WrongPassphrase: 403,
    errors.WeakKdfParameters: 403,
    errors.NotAuthorised: 403,
    errors.UnknownUser: 403,
    errors.UnknownPatient: 404,
    errors.UnknownRecord: 404,
    UnknownConfirmation: 404,
    NotConfirmed: 409,
    errors.StaleVersion: 409,
    errors.SignedRecordImmutable: 409,
    errors.IntegrityError: 409,
    errors.TooManyAttempts: 429,
    errors.UnlockBusy: 503,
    NotSignable: 422,
    InvalidInput: 422,
}


class KapHandler(APIHandler):
    """Authenticated, authorised JSON handler with domain-error mapping."""

    auth_resource = AUTH_RESOURCE

    @property
    def keyholder(self) -> KeyHolder:
        holder: KeyHolder = self.settings["kap_notes_keyholder"]
        return holder

    def body(self) -> dict[str, Any]:
        if not self.request.body:
            return {}
        try:
            value = json.loads(self.request.body)
        except ValueError as exc:
            raise InvalidInput(["the request body is not JSON"]) from exc
        if not isinstance(value, dict):
            raise InvalidInput(["the request body must be a JSON object"])
        return value

    async def respond(self, func: Any, *args: Any) -> None:
        """Run ``func`` off the event loop; write its JSON result or a clear error."""
        try:
            result = await asyncio.get_running_loop().run_in_executor(None, func, *args)
        except Exception as exc:
            if not is_domain_error(exc):
                raise
            self.set_status(_status_for(exc))
            payload = {"error": str(exc), **error_payload(exc)}
            retry = getattr(exc, "retry_after_seconds", None)
            if isinstance(retry, int):  # UnlockBusy (503), TooManyAttempts (429)
                self.set_header("Retry-After", str(retry))
                payload["retry_after_seconds"] = retry
            self.finish(json.dumps(payload))
            return
        self.finish(json.dumps(result))


def _status_for(exc: Exception) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


class StatusHandler(KapHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        await self.respond(self.keyholder.status)


class UnlockHandler(KapHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body()
        user, passphrase = str(body.get("user", "")), str(body.get("passphrase", ""))
        await self.respond(self.keyholder.unlock, user, passphrase)


class LockHandler(KapHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        await self.respond(self.keyholder.lock)


class TouchHandler(KapHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        await self.respond(self.keyholder.touch)


class SettingsHandler(KapHandler):
    """``GET``: the clinic settings in force (from the vault: values, version, who and when)
    and this user's auto-lock. ``POST``: change them (see :func:`apply_settings`)."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        await self.respond(lambda: read_settings(self.keyholder))

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        # The body is read inside respond(), so a body that is not a JSON object is a 422 too.
        await self.respond(lambda: apply_settings(self.keyholder, self.body()))


def read_settings(holder: KeyHolder) -> dict[str, Any]:
    """The vault's clinic settings (423 while locked), whether this user may change them, and
    this user's auto-lock."""
    info = dict(holder.run("settings_info", {}))
    role = holder.status()["role"]
    return {**info, "may_change": role == "admin", "auto_lock_minutes": holder.auto_lock_minutes}


def apply_settings(holder: KeyHolder, body: dict[str, Any]) -> dict[str, Any]:
    """Settings from JupyterLab's settings editor: this user's auto-lock, the clinic thresholds.

    The whole body is validated against :mod:`kap_notes.forms.settings_schema` first (422 naming
    the setting and its range); nothing is applied unless every value is valid and allowed.
    Clinic thresholds are stored in the vault, signed by the unlocked user: 423 while locked,
    403 unless an admin (values equal to those in force change nothing and are no error).
    """
    checked = check_settings(body)
    thresholds = {k: v for k, v in checked.items() if k in THRESHOLDS}
    answer: dict[str, Any] = {}
    if thresholds:
        try:
            answer["clinic_settings"] = holder.run("change_settings", {"values": thresholds})
        except errors.VaultLocked as exc:
            raise errors.VaultLocked(
                "the vault is locked: unlock it to change clinic settings (they are kept in "
                "the vault); nothing was changed"
            ) from exc
    if AUTO_LOCK.name in checked:
        holder.auto_lock_minutes = checked[AUTO_LOCK.name]
    return {**holder.status(), **answer}


class OperationHandler(KapHandler):
    """``POST /kap-notes/api/ops/<name>`` with the operation's arguments as the JSON body."""

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        if name not in OPERATIONS:
            raise tornado.web.HTTPError(404, f"no operation {name}")
        await self.respond(self.keyholder.run, name, self.body())


class WaitingHandler(KapHandler):
    """``GET /kap-notes/api/waiting``: how many access requests and supervisor proposals wait for
    the unlocked user (JupyterLab's badge polls this; not activity: never defers auto-lock)."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        await self.respond(self.keyholder.waiting)


class ConfirmationsHandler(KapHandler):
    """``GET /kap-notes/api/confirmations``: kernel requests waiting for the user's passphrase."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        await self.respond(self.keyholder.pending)


class ConfirmationHandler(KapHandler):
    """``POST /kap-notes/api/confirmations/<id>`` with ``{"passphrase"}`` runs the parked
    operation (403 on a wrong passphrase, the item keeps waiting); ``DELETE`` cancels it."""

    @tornado.web.authenticated
    @authorized
    async def post(self, confirmation_id: str) -> None:
        passphrase = str(self.body().get("passphrase", ""))
        await self.respond(self.keyholder.confirm, confirmation_id, passphrase)

    @tornado.web.authenticated
    @authorized
    async def delete(self, confirmation_id: str) -> None:
        await self.respond(self.keyholder.cancel, confirmation_id)


def setup_handlers(web_app: tornado.web.Application, keyholder: KeyHolder) -> None:
    """The route table."""
    web_app.settings["kap_notes_keyholder"] = keyholder
    base = url_path_join(web_app.settings["base_url"], "kap-notes", "api")
    routes: list[tuple[str, type[KapHandler]]] = [
        (url_path_join(base, "status"), StatusHandler),
        (url_path_join(base, "unlock"), UnlockHandler),
        (url_path_join(base, "lock"), LockHandler),
        (url_path_join(base, "touch"), TouchHandler),
        (url_path_join(base, "settings"), SettingsHandler),
        (url_path_join(base, "ops", r"([a-z_]+)"), OperationHandler),
        (url_path_join(base, "waiting"), WaitingHandler),
        (url_path_join(base, "confirmations"), ConfirmationsHandler),
        (url_path_join(base, "confirmations", r"([A-Za-z0-9_-]+)"), ConfirmationHandler),
    ]
    web_app.add_handlers(".*$", routes)
