"""The fault-rule plumbing both fakes build on.

``chain`` puts a fake's list of rules in front of its endpoint dispatch.
``FailNext`` answers the next n matching requests with an error instead of
calling the endpoint; each fake subclasses it with its own default error body
(``default_body``), its ``Response`` class and, where it matches requests on
more than ``kind``, ``matches``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from demo.fake_http.messages import Request, Response

Handler = Callable[[Any], Any]


def chain(faults: Sequence[Callable[[Any, Handler], Any]], call: Handler) -> Handler:
    """``call`` behind ``faults``: the first rule sees the request first."""
    for fault in reversed(faults):
        call = _bind(fault, call)
    return call


def _bind(fault: Callable[[Any, Handler], Any], call_next: Handler) -> Handler:
    return lambda request: fault(request, call_next)


class FailNext:
    """Answer the next ``times`` matching requests with ``status`` and ``body``.

    ``kinds`` limits the rule to endpoint kinds; ``after`` lets that many matching
    requests through first. ``body`` None means the fake's own error body.
    """

    # The fake's Response, so an injected error carries its Content-Type.
    response_class: type[Response] = Response

    def __init__(
        self,
        times: int = 1,
        status: int = 503,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        kinds: Collection[str] | None = None,
        after: int = 0,
    ) -> None:
        self.remaining = times
        self.skip = after
        self.status = status
        self.headers = dict(headers or {})
        self.kinds = frozenset(kinds) if kinds is not None else None
        self.body = self.default_body(status) if body is None else _encode(body)
        self.fired = 0
        self._lock = threading.Lock()

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0

    def default_body(self, status: int) -> bytes:
        raise NotImplementedError

    def matches(self, request: Request) -> bool:
        return self.kinds is None or request.kind in self.kinds

    def __call__(self, request: Request, call_next: Callable[[Request], Response]) -> Response:
        with self._lock:
            fire = self.remaining > 0 and self.matches(request)
            if fire and self.skip > 0:
                self.skip -= 1
                fire = False
            elif fire:
                self.remaining -= 1
                self.fired += 1
        if not fire:
            return call_next(request)
        return self.response_class(self.status, self.body, dict(self.headers))


def _encode(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")
