"""A local fake of the HubSpot CRM API that the real hubspot-api-client can use.

``FakeHubSpot`` serves a ``Portal`` over plain HTTP on 127.0.0.1 in the real wire
format: bearer-token auth and scopes, owners (active and archived, with teams),
deal pipelines (stage metadata as strings), object list pages (100 per page, 50
with ``propertiesWithHistory``, opaque ``after`` cursors, ``archived=true`` for
the recycle bin), search (filter groups, one sort, 200 per page, 400 past the
10,000th result, never archived rows), batch reads and v4 association batch
reads (207 for ids without associations). Every required field the SDK's
models validate is present, so the SDK deserialises any answer. The endpoints
live in ``reads.py`` (owners, pipelines, pages, search) and ``batch.py``; this
module routes, authorises, counts and applies faults and rate limits.

Requests are counted per endpoint kind and object type, rate limits are
enforced with HubSpot's 429 bodies and headers (``ratelimit.py``), and fault
rules (``faults.py``) can be put in front of every endpoint.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from demo.fake_http.faults import chain
from demo.fake_http.server import LocalServer, RequestHandler
from demo.fake_http.server import route as _route
from demo.fake_hubspot.batch import BatchReads
from demo.fake_hubspot.errors import (
    HubSpotApiError,
    error_body,
    invalid_authentication,
    method_not_allowed,
    missing_scopes,
    not_found,
    validation_error,
)
from demo.fake_hubspot.faults import FailNext, Fault, RateLimitStorm
from demo.fake_hubspot.messages import Request, Response
from demo.fake_hubspot.portal import Portal
from demo.fake_hubspot.ratelimit import RateLimiter, RateLimitPolicy
from demo.fake_hubspot.reads import CrmReads
from demo.fake_hubspot.records import OBJECT_TYPE_IDS, OBJECT_TYPES

logger = logging.getLogger(__name__)

ALL_SCOPES = frozenset(
    {
        "crm.objects.owners.read",
        "crm.objects.deals.read",
        "crm.objects.contacts.read",
        "sales-email-read",
    }
)


def required_scope(object_type: str) -> str:
    if object_type == "deals":
        return "crm.objects.deals.read"
    # Engagements (calls, emails, ...) are read under the contacts scope.
    return "crm.objects.contacts.read"


_ROUTES = (
    _route("GET", r"/account-info/v3/details/?", "account", "_account"),
    _route("GET", r"/crm/v3/owners/?", "owners", "_owners"),
    _route("GET", r"/crm/v3/pipelines/(?P<object_type>[^/]+)/?", "pipelines", "_pipelines"),
    _route("GET", r"/crm/v3/objects/(?P<object_type>[^/]+)/?", "list", "_list"),
    _route("POST", r"/crm/v3/objects/(?P<object_type>[^/]+)/search/?", "search", "_search"),
    _route(
        "POST", r"/crm/v3/objects/(?P<object_type>[^/]+)/batch/read/?", "batch_read", "_batch_read"
    ),
    _route("GET", r"/crm/v3/objects/(?P<object_type>[^/]+)/(?P<object_id>[^/]+)/?", "get", "_get"),
    _route(
        "POST",
        r"/crm/v4/associations/(?P<object_type>[^/]+)/(?P<to_type>[^/]+)/batch/read/?",
        "associations",
        "_associations",
    ),
)


class _Handler(RequestHandler):
    server_version = "FakeHubSpot/1.0"
    logger = logger


class FakeHubSpot(LocalServer, CrmReads, BatchReads):
    """A HubSpot portal behind a local HTTP server.

    Use as a context manager, or call ``start()`` / ``stop()``. ``rate_limits``
    is what the fake enforces (default: Professional tier, 190 per 10 s and 5
    searches per second); ``scopes`` what the private app was granted.
    """

    handler_class = _Handler
    thread_name = "fake-hubspot"

    def __init__(
        self,
        portal: Portal | None = None,
        access_token: str = "demo-token",
        *,
        rate_limits: RateLimitPolicy | None = None,
        scopes: Collection[str] = ALL_SCOPES,
        host: str = "127.0.0.1",
    ) -> None:
        self.portal = portal or Portal()
        self.access_token = access_token
        self.scopes = frozenset(scopes)
        self.host = host
        self.limiter = RateLimiter(rate_limits or RateLimitPolicy())
        self.request_counts: Counter[str] = Counter()
        # "kind:object_type" -> count, e.g. "list:deals".
        self.object_counts: Counter[str] = Counter()
        self.faults: list[Fault] = []
        self._lock = threading.RLock()

    @property
    def base_url(self) -> str:
        return self._url("FakeHubSpot")

    # -- counters and faults -----------------------------------------------------

    @property
    def total_requests(self) -> int:
        with self._lock:
            return sum(self.request_counts.values())

    def reset_counts(self) -> None:
        with self._lock:
            self.request_counts.clear()
            self.object_counts.clear()
        self.limiter.reset()

    def peak_requests(self, window_s: float, kinds: Collection[str] | None = None) -> int:
        """Most requests seen in any ``window_s`` seconds (the observed peak rate)."""
        return self.limiter.peak(window_s, kinds)

    def add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def fail_next(self, n: int = 1, status: int = 503, body: Any = None, **options) -> FailNext:
        """Answer the next ``n`` requests (of ``kinds``/``object_types``) with an error."""
        rule = FailNext(n, status, body, **options)
        self.add_fault(rule)
        return rule

    def rate_limit_storm(self, n: int, **options) -> RateLimitStorm:
        """Answer the next ``n`` matching requests with HubSpot 429s."""
        rule = RateLimitStorm(n, **options)
        self.add_fault(rule)
        return rule

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    # -- request handling --------------------------------------------------------

    def route(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes = b""
    ) -> Request:
        url = urlsplit(target)
        params = parse_qs(url.query, keep_blank_values=True)
        lower_headers = {k.lower(): v for k, v in headers.items()}
        allowed = False
        for route in _ROUTES:
            found = route.pattern.fullmatch(url.path)
            if not found:
                continue
            if route.method != method:
                allowed = True
                continue
            args = found.groupdict()
            object_type = args.get("object_type")
            if object_type is not None:
                object_type = OBJECT_TYPE_IDS.get(object_type, object_type)
            return Request(
                method,
                url.path,
                params,
                lower_headers,
                body,
                route.kind,
                object_type=object_type,
                args=args,
                endpoint=getattr(self, route.endpoint),
            )
        kind = "method_not_allowed" if allowed else "not_found"
        return Request(method, url.path, params, lower_headers, body, kind)

    def handle(self, request: Request) -> Response:
        """Count the request, run it through the fault rules and answer it."""
        with self._lock:
            self.request_counts[request.kind] += 1
            if request.object_type:
                self.object_counts[f"{request.kind}:{request.object_type}"] += 1
            faults = list(self.faults)
        call: Callable[[Request], Response] = self._dispatch
        call = chain(faults, call)
        try:
            response = call(request)
        except HubSpotApiError as error:
            response = Response(error.status, error.body(), dict(error.headers))
        except Exception as error:  # the fake must answer, never hang the client
            logger.exception("fake HubSpot failed on %s %s", request.method, request.path)
            response = Response(500, error_body("INTERNAL_ERROR", repr(error)))
        if any(getattr(f, "exhausted", False) for f in faults):
            with self._lock:
                self.faults = [f for f in self.faults if not getattr(f, "exhausted", False)]
        return response

    def _dispatch(self, request: Request) -> Response:
        if request.kind == "method_not_allowed":
            raise method_not_allowed(request.method)
        if request.endpoint is None:
            raise not_found(f"No route for {request.method} {request.path}")
        if not self._authorized(request):
            raise invalid_authentication()
        headers = self.limiter.admit(request.kind)
        response = request.endpoint(request)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    def _authorized(self, request: Request) -> bool:
        scheme, _, token = (request.header("authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and token.strip() == self.access_token

    def _require(self, *scopes: str) -> None:
        missing = [s for s in scopes if s not in self.scopes]
        if missing:
            raise missing_scopes(missing)

    def _object_type(self, request: Request, key: str = "object_type") -> str:
        name = request.args[key]
        name = OBJECT_TYPE_IDS.get(name, name)
        if name not in OBJECT_TYPES:
            raise validation_error(f"Unable to infer object type from: {request.args[key]}")
        self._require(required_scope(name))
        return name
