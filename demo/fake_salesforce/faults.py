"""Fault rules: middleware the fake consults on every request, in order.

A rule is any callable ``rule(request, call_next) -> Response``: it may answer
itself (an error, a truncated body), delay and then call ``call_next`` (a slow
API), or pass through. A rule with an ``exhausted`` attribute that turns true is
dropped after the request. Built in: ``FailNext`` (errors: 429 storms, 5xx,
403 REQUEST_LIMIT_EXCEEDED bodies), ``Slow`` (a server slower than the client's
read timeout) and ``Truncate`` (a page cut short: malformed JSON or CSV). Expired
sessions and an exhausted daily quota are states of the fake itself
(``expire_sessions()``, ``api_limit``), as they are of a real org.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection
from typing import Protocol

from demo.fake_http import faults
from demo.fake_salesforce.errors import DEFAULT_ERROR_CODES, error_body
from demo.fake_salesforce.messages import Handler, Request, Response


class Fault(Protocol):
    def __call__(self, request: Request, call_next: Handler) -> Response: ...


class FailNext(faults.FailNext):
    """Answer the next ``times`` matching requests with ``status`` and ``body``.

    ``kinds`` limits the rule to endpoint kinds (e.g. ``{"query_more"}``); the
    default body is a Salesforce error array with a code fitting the status.
    """

    response_class = Response

    def default_body(self, status: int) -> bytes:
        code = DEFAULT_ERROR_CODES.get(status, "UNKNOWN_EXCEPTION")
        return error_body(code, f"Injected failure ({status} {code})")


class _Counted:
    """Shared by rules that fire on the next ``times`` requests of some kinds."""

    def __init__(self, times: int | None, kinds: Collection[str] | None) -> None:
        self.remaining = times
        self.kinds = frozenset(kinds) if kinds is not None else None
        self._lock = threading.Lock()

    @property
    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    def _fires(self, request: Request) -> bool:
        with self._lock:
            if self.kinds is not None and request.kind not in self.kinds:
                return False
            if self.remaining is None:
                return True
            if self.remaining <= 0:
                return False
            self.remaining -= 1
            return True


class Slow(_Counted):
    """Answer the next ``times`` matching requests (None: all) after ``seconds``."""

    def __init__(
        self, seconds: float, times: int | None = 1, *, kinds: Collection[str] | None = None
    ) -> None:
        super().__init__(times, kinds)
        self.seconds = seconds

    def __call__(self, request: Request, call_next: Handler) -> Response:
        if self._fires(request):
            time.sleep(self.seconds)
        return call_next(request)


class Truncate(_Counted):
    """Send only the first ``keep`` share of the next ``times`` matching bodies.

    The status stays 200 and Content-Length matches the cut body: the client gets
    a well-formed HTTP response whose JSON or CSV is broken, as when a proxy or
    a dying connection cuts a page short.
    """

    def __init__(
        self, times: int | None = 1, *, keep: float = 0.5, kinds: Collection[str] | None = None
    ) -> None:
        super().__init__(times, kinds)
        self.keep = keep

    def __call__(self, request: Request, call_next: Handler) -> Response:
        response = call_next(request)
        if response.status == 200 and self._fires(request):
            response.body = response.body[: int(len(response.body) * self.keep)]
        return response
