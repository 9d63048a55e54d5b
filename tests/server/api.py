"""Calling the kap-notes REST API from server tests (through pytest-jupyter's ``jp_fetch``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

Fetch = Any


async def call(fetch: Fetch, path: str, body: dict[str, Any] | None = None) -> Any:
    """GET ``/kap-notes/api/<path>``, or POST ``body`` to it; the decoded JSON answer."""
    response = await fetch(
        "kap-notes",
        "api",
        *path.split("/"),
        method="GET" if body is None else "POST",
        body=None if body is None else json.dumps(body),
    )
    return json.loads(response.body)


async def failure(fetch: Fetch, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The status and JSON body of a call that must fail."""
    with pytest.raises(HTTPClientError) as info:
        await call(fetch, path, body)
    assert info.value.response is not None
    return info.value.code, json.loads(info.value.response.body)
