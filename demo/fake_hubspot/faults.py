"""Fault rules: middleware the fake consults on every request, in order.

A rule is any callable ``rule(request, call_next) -> Response``: it may answer
itself (an error, a truncated body), delay and then call ``call_next``, or pass
through. A rule with an ``exhausted`` attribute that turns true is dropped after
the request. ``FailNext`` answers the next n matching requests with an error;
``RateLimitStorm`` is a FailNext of HubSpot-shaped 429s.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Protocol

from demo.fake_http import faults
from demo.fake_hubspot.errors import error_body, rate_limited
from demo.fake_hubspot.messages import Handler, Request, Response

DEFAULT_CATEGORIES = {
    400: "VALIDATION_ERROR",
    401: "INVALID_AUTHENTICATION",
    403: "MISSING_SCOPES",
    404: "OBJECT_NOT_FOUND",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


class Fault(Protocol):
    def __call__(self, request: Request, call_next: Handler) -> Response: ...


class FailNext(faults.FailNext):
    """Answer the next ``times`` matching requests with ``status`` and ``body``.

    ``kinds`` limits the rule to endpoint kinds (e.g. ``{"search"}``),
    ``object_types`` to CRM objects (e.g. ``{"deals"}``); ``after`` lets that many
    matching requests through first. The default body is a HubSpot error object.
    """

    def __init__(
        self,
        times: int = 1,
        status: int = 503,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        kinds: Collection[str] | None = None,
        object_types: Collection[str] | None = None,
        after: int = 0,
    ) -> None:
        super().__init__(times, status, body, headers=headers, kinds=kinds, after=after)
        self.object_types = frozenset(object_types) if object_types is not None else None

    def default_body(self, status: int) -> bytes:
        category = DEFAULT_CATEGORIES.get(status, "INTERNAL_ERROR")
        return error_body(category, f"Injected failure ({status} {category})")

    def matches(self, request: Request) -> bool:
        return super().matches(request) and (
            self.object_types is None or request.object_type in self.object_types
        )


class RateLimitStorm(FailNext):
    """The next ``times`` matching requests get HubSpot's 429 for ``policy``.

    TEN_SECONDLY_ROLLING answers carry the X-HubSpot-RateLimit-* headers (with
    ``interval_ms``); SECONDLY answers (search) carry none, as the real API's.
    """

    def __init__(
        self,
        times: int,
        *,
        policy: str = "TEN_SECONDLY_ROLLING",
        max_requests: int = 100,
        interval_ms: int = 10_000,
        kinds: Collection[str] | None = None,
        object_types: Collection[str] | None = None,
    ) -> None:
        headers = {}
        if policy == "TEN_SECONDLY_ROLLING":
            headers = {
                "X-HubSpot-RateLimit-Max": str(max_requests),
                "X-HubSpot-RateLimit-Remaining": "0",
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(interval_ms),
            }
        elif policy == "DAILY":
            headers = {"X-HubSpot-RateLimit-Daily-Remaining": "0"}
        error = rate_limited(policy)
        super().__init__(
            times,
            429,
            error.body(),
            headers=headers,
            kinds=kinds,
            object_types=object_types,
        )
