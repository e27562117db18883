"""Fault rules: middleware the fake consults on every request, in order.

A rule is any callable ``rule(request, call_next) -> Response``: it may answer
itself (an error, a truncated body), delay and then call ``call_next`` (a slow
API), or pass through. A rule with an ``exhausted`` attribute that turns true is
dropped after the request. ``FailNext`` is the one built in today; 429 storms,
expired tokens, REQUEST_LIMIT_EXCEEDED and slow or truncated pages are further
rules of the same shape.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Collection, Mapping
from typing import Any, Protocol

from connectors.fake_salesforce.errors import DEFAULT_ERROR_CODES, error_body
from connectors.fake_salesforce.messages import Handler, Request, Response


class Fault(Protocol):
    def __call__(self, request: Request, call_next: Handler) -> Response: ...


class FailNext:
    """Answer the next ``times`` matching requests with ``status`` and ``body``.

    ``kinds`` limits the rule to endpoint kinds (e.g. ``{"query_more"}``); the
    default body is a Salesforce error array with a code fitting the status.
    """

    def __init__(
        self,
        times: int = 1,
        status: int = 503,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        kinds: Collection[str] | None = None,
    ) -> None:
        self.remaining = times
        self.status = status
        self.headers = dict(headers or {})
        self.kinds = frozenset(kinds) if kinds is not None else None
        self.body = _encode_body(status, body)
        self._lock = threading.Lock()

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0

    def __call__(self, request: Request, call_next: Handler) -> Response:
        with self._lock:
            fire = self.remaining > 0 and (self.kinds is None or request.kind in self.kinds)
            if fire:
                self.remaining -= 1
        if not fire:
            return call_next(request)
        return Response(self.status, self.body, dict(self.headers))


def _encode_body(status: int, body: Any) -> bytes:
    if body is None:
        code = DEFAULT_ERROR_CODES.get(status, "UNKNOWN_EXCEPTION")
        return error_body(code, f"Injected failure ({status} {code})")
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")
