"""REST API under ``/kap-notes/api/`` (described in ``openapi.yaml``): thin handlers that map
domain errors to JSON with clear messages and an HTTP status."""

from __future__ import annotations

import asyncio
import json
from http.client import responses
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from kap_notes.agent.keyholder import KeyHolder
from kap_notes.errors import InvalidInput, KapError, VaultLocked
from kap_notes.forms.settings_schema import AUTO_LOCK, THRESHOLDS, check_settings
from kap_notes.server import hub
from kap_notes.service import requests
from kap_notes.service.operations import OPERATIONS, error_payload, is_domain_error

AUTH_RESOURCE = "kap-notes"

#: Stable codes of errors jupyter_server or tornado raise before a handler runs (403
#: unauthenticated or not authorised, 404, 405); kap-notes' own errors carry theirs.
HTTP_CODES = {403: "not_authenticated", 404: "not_found", 405: "method_not_allowed"}


class KapHandler(APIHandler):
    """Authenticated, authorised JSON handler: every answer that is not a 200 is the Error
    schema ``{error, code, type, message, ...}``, its status and code taken from the error's
    class (:mod:`kap_notes.errors`)."""

    auth_resource = AUTH_RESOURCE

    async def prepare(self) -> None:  # type: ignore[override]  # as APIHandler.prepare
        """On JupyterHub, only the server's own hub user reaches kap-notes (:mod:`.hub`)."""
        await super().prepare()
        user = self.current_user
        hub.check_requester(getattr(user, "username", None) if user else None)

    @property
    def keyholder(self) -> KeyHolder:
        holder: KeyHolder = self.settings["kap_notes_keyholder"]
        return holder

    def body(
        self, request: requests.Request | None = None, label: str = "", *, constants: bool = False
    ) -> dict[str, Any]:
        """The JSON body (empty = ``{}``), checked against ``request`` when given; raises
        :class:`~kap_notes.errors.InvalidInput` (422). Call it inside :meth:`respond`. NaN and
        Infinity are refused as not JSON unless ``constants`` (settings name them instead)."""
        value = requests.parse_json(self.request.body, constants=constants)
        if request is None:
            if not isinstance(value, dict):
                raise InvalidInput(["the request body must be a JSON object"])
            return value
        return requests.check(request, value, label or self.request.path.rsplit("/", 1)[-1])

    async def respond(self, func: Any, *args: Any) -> None:
        """Run ``func`` off the event loop; write its JSON result or a clear error."""
        try:
            executor = self.keyholder.executor  # its own threads: saves never queue behind reads
            result = await asyncio.get_running_loop().run_in_executor(executor, func, *args)
        except Exception as exc:
            if not is_domain_error(exc):
                raise
            self.write_kap_error(exc)
            return
        self.finish(json.dumps(result))

    def write_kap_error(self, exc: Exception) -> None:
        status = exc.status if isinstance(exc, KapError) else 500
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        payload = {"error": str(exc), **error_payload(exc)}
        retry = getattr(exc, "retry_after_seconds", None)
        if isinstance(retry, int):  # UnlockBusy (503), TooManyAttempts (429)
            self.set_header("Retry-After", str(retry))
            payload["retry_after_seconds"] = retry
        self.finish(json.dumps(payload))

    def allowed_methods(self) -> list[str]:
        """The methods this route implements (the others are tornado's 405)."""
        base = tornado.web.RequestHandler
        return [
            m
            for m in ("GET", "POST", "DELETE")
            if getattr(type(self), m.lower()) is not getattr(base, m.lower())
        ]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Errors raised outside :meth:`respond` (authentication, routing, bugs) in the Error
        schema too; a bug's details stay in the server log."""
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(exc, KapError):  # raised before respond(): still its own status
            self.clear()
            self.write_kap_error(exc)
            return
        self.set_header("Content-Type", "application/json")
        if status_code == 405:  # RFC 9110: a 405 lists the methods the route has
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        if isinstance(exc, tornado.web.HTTPError) and status_code < 500:
            message = exc.log_message or exc.reason or responses.get(status_code, "error")
        elif status_code < 500:
            message = responses.get(status_code, "error")
        else:
            message = "internal error: nothing was changed by this request's failure"
            message = f"{message}; the server log has the details"
        code = HTTP_CODES.get(status_code, f"http_{status_code}")
        if status_code >= 500:
            code = KapError.code
        reply = {"error": message, "code": code, "type": "HTTPError", "message": message}
        self.finish(json.dumps(reply))


class StatusHandler(KapHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        await self.respond(self.keyholder.status)


class UnlockHandler(KapHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        def unlock() -> Any:
            body = self.body(requests.UNLOCK, "unlock")
            hub.check_unlock(body["user"], getattr(self.current_user, "username", None))
            return self.keyholder.unlock(body["user"], body["passphrase"])

        await self.respond(unlock)


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
        await self.respond(lambda: apply_settings(self.keyholder, self.body(constants=True)))


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
        except VaultLocked as exc:
            raise VaultLocked(
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
        # Checked against the operation's declaration here, before the vault is asked anything
        # (a bad request is a 422 even while the vault is locked).
        await self.respond(
            lambda: self.keyholder.run(name, requests.check_operation(name, self.body()))
        )


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
        def confirm() -> Any:
            body = self.body(requests.CONFIRM, "confirm")
            return self.keyholder.confirm(confirmation_id, body["passphrase"])

        await self.respond(confirm)

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
        # Any id reaches the handler, so an unknown one is the Error schema's 404 too.
        (url_path_join(base, "confirmations", r"([^/]+)"), ConfirmationHandler),
    ]
    web_app.add_handlers(".*$", routes)
