"""A local fake of the HubSpot CRM API that the real hubspot-api-client can use.

``FakeHubSpot`` serves a ``Portal`` over plain HTTP on 127.0.0.1 in the real wire
format: bearer-token auth and scopes, owners (active and archived, with teams),
deal pipelines (stage metadata as strings), object list pages (100 per page, 50
with ``propertiesWithHistory``, opaque ``after`` cursors, ``archived=true`` for
the recycle bin), search (filter groups, one sort, 200 per page, 400 past the
10,000th result, never archived rows), batch reads and v4 association batch
reads (207 for ids without associations). Every required field the SDK's
models validate is present, so the SDK deserialises any answer.

Requests are counted per endpoint kind and object type, rate limits are
enforced with HubSpot's 429 bodies and headers (``ratelimit.py``), and fault
rules (``faults.py``) can be put in front of every endpoint.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import threading
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from demo.fake_http.faults import chain
from demo.fake_http.server import LocalServer, RequestHandler
from demo.fake_http.server import route as _route
from demo.fake_hubspot import search
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
from demo.fake_hubspot.portal import (
    DEFAULT_PROPERTIES,
    ENGAGEMENT_TYPES,
    OBJECT_TYPE_IDS,
    OBJECT_TYPES,
    CrmRecord,
    Portal,
)
from demo.fake_hubspot.ratelimit import RateLimiter, RateLimitPolicy

logger = logging.getLogger(__name__)

LIST_MAX_LIMIT = 100
HISTORY_MAX_LIMIT = 50
BATCH_MAX_INPUTS = 100
ASSOCIATIONS_MAX_INPUTS = 1000
ASSOCIATIONS_PER_OBJECT = 500
OWNERS_MAX_LIMIT = 500
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


class FakeHubSpot(LocalServer):
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

    # -- endpoints ---------------------------------------------------------------

    def _owners(self, request: Request) -> Response:
        self._require("crm.objects.owners.read")
        limit = _int_param(request, "limit", 100)
        if not 0 < limit <= OWNERS_MAX_LIMIT:
            raise validation_error(f"limit must be between 1 and {OWNERS_MAX_LIMIT}.")
        archived = _bool_param(request, "archived")
        email = request.param("email")
        with self.portal.lock:
            owners = [o for o in self.portal.owners if o["archived"] == archived]
        if email:
            owners = [o for o in owners if (o.get("email") or "").lower() == email.lower()]
        start = _decode_after(request.param("after")) or 0
        page = owners[start : start + limit]
        payload: dict[str, Any] = {"results": page}
        if start + limit < len(owners):
            payload["paging"] = _next_page(request, _encode_after(start + limit))
        return Response.json(payload)

    def _pipelines(self, request: Request) -> Response:
        name = self._object_type(request)
        with self.portal.lock:
            pipelines = list(self.portal.pipelines.get(name, []))
        return Response.json({"results": pipelines})

    def _list(self, request: Request) -> Response:
        name = self._object_type(request)
        store = self.portal.objects[name]
        history = request.param_list("propertiesWithHistory")
        limit = _int_param(request, "limit", 10)
        ceiling = HISTORY_MAX_LIMIT if history else LIST_MAX_LIMIT
        if not 0 < limit <= ceiling:
            raise validation_error(
                f"limit must be between 1 and {ceiling}"
                + (" when requesting propertiesWithHistory." if history else ".")
            )
        archived = _bool_param(request, "archived")
        last_id = _decode_after(request.param("after"))
        properties = self._properties(request.param_list("properties"), store, name)
        page: list[CrmRecord] = []
        more = False
        with self.portal.lock:
            for record in store.after(last_id):
                if record.archived != archived:
                    continue
                if len(page) == limit:
                    more = True
                    break
                page.append(record)
            results = [r.to_wire(properties, history) for r in page]
        payload: dict[str, Any] = {"results": results}
        if more:
            payload["paging"] = _next_page(request, _encode_after(page[-1].id))
        return Response.json(payload)

    def _get(self, request: Request) -> Response:
        name = self._object_type(request)
        store = self.portal.objects[name]
        archived = _bool_param(request, "archived")
        try:
            record = store.records[int(request.args["object_id"])]
        except (KeyError, ValueError):
            raise not_found("Object not found.  objectId are usually numeric.") from None
        if record.archived != archived:
            raise not_found("Object not found.")
        properties = self._properties(request.param_list("properties"), store, name)
        with self.portal.lock:
            payload = record.to_wire(properties, request.param_list("propertiesWithHistory"))
        return Response.json(payload)

    def _search(self, request: Request) -> Response:
        name = self._object_type(request)
        store = self.portal.objects[name]
        body = _json_body(request)
        properties = self._properties(body.get("properties") or [], store, name)
        with self.portal.lock:
            page = search.run(store, body)
            results = [record.to_wire(properties) for record in page.results]
        payload: dict[str, Any] = {"total": page.total, "results": results}
        if page.next_after is not None:
            payload["paging"] = {"next": {"after": page.next_after}}
        return Response.json(payload)

    def _batch_read(self, request: Request) -> Response:
        name = self._object_type(request)
        store = self.portal.objects[name]
        body = _json_body(request)
        inputs = body.get("inputs") or []
        history = body.get("propertiesWithHistory") or []
        ceiling = HISTORY_MAX_LIMIT if history else BATCH_MAX_INPUTS
        if len(inputs) > ceiling:
            raise validation_error(f"Batch read accepts at most {ceiling} inputs.")
        archived = _bool_param(request, "archived")
        properties = self._properties(body.get("properties") or [], store, name)
        started = _now()
        results, missing = [], []
        with self.portal.lock:
            for item in inputs:
                record = _lookup(store, item.get("id"))
                if record is None or record.archived != archived:
                    missing.append(str(item.get("id")))
                    continue
                results.append(record.to_wire(properties, history))
        payload: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": _now(),
        }
        if not missing:
            return Response.json(payload)
        payload["numErrors"] = 1
        payload["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": f"Could not get some {name.upper()} objects, they may be deleted "
                "or not exist. Check that ids are valid.",
                "context": {"ids": missing},
            }
        ]
        return Response.json(payload, status=207)

    def _associations(self, request: Request) -> Response:
        from_type = self._object_type(request)
        to_type = self._object_type(request, "to_type")
        body = _json_body(request)
        inputs = body.get("inputs") or []
        if len(inputs) > ASSOCIATIONS_MAX_INPUTS:
            raise validation_error(
                f"Batch association reads accept at most {ASSOCIATIONS_MAX_INPUTS} inputs."
            )
        started = _now()
        results, empty = [], []
        with self.portal.lock:
            links_by_id = self.portal.associations.get((from_type, to_type), {})
            for item in inputs:
                from_id = str(item.get("id"))
                start = int(item.get("after") or 0)
                grouped = _group_links(links_by_id.get(_as_int(from_id), []))
                if not grouped:
                    empty.append(from_id)
                    continue
                chunk = grouped[start : start + ASSOCIATIONS_PER_OBJECT]
                result: dict[str, Any] = {"from": {"id": from_id}, "to": chunk}
                if start + ASSOCIATIONS_PER_OBJECT < len(grouped):
                    result["paging"] = {
                        "next": {"after": str(start + ASSOCIATIONS_PER_OBJECT), "link": None}
                    }
                results.append(result)
        payload: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": _now(),
        }
        if not empty:
            return Response.json(payload)
        payload["numErrors"] = len(empty)
        payload["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                "message": f"No {to_type} is associated with {from_type} {from_id}.",
                "context": {"fromObjectId": [from_id], "toObjectType": [to_type]},
            }
            for from_id in empty
        ]
        return Response.json(payload, status=207)

    def _properties(self, requested: list[str], store, object_type: str) -> list[str]:
        """Requested properties plus the ones HubSpot always returns."""
        names = list(store.base_properties())
        extra = requested or list(DEFAULT_PROPERTIES.get(object_type, ()))
        if object_type in ENGAGEMENT_TYPES and not requested:
            extra = ["hs_timestamp"]
        names += [p for p in extra if p not in names]
        return names


def _group_links(links: list[tuple[int, int, str | None]]) -> list[dict]:
    """v4 shape: one entry per associated record listing every association type."""
    grouped: dict[int, dict] = {}
    for to_id, type_id, label in links:
        entry = grouped.setdefault(to_id, {"toObjectId": to_id, "associationTypes": []})
        entry["associationTypes"].append(
            {
                "category": "HUBSPOT_DEFINED" if label is None else "USER_DEFINED",
                "typeId": type_id,
                "label": label,
            }
        )
    return list(grouped.values())


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _lookup(store, record_id: Any) -> CrmRecord | None:
    key = _as_int(record_id)
    return None if key is None else store.records.get(key)


def _json_body(request: Request) -> dict:
    try:
        body = request.json()
    except ValueError:
        raise validation_error("Invalid input JSON on line 1, column 1.") from None
    if not isinstance(body, dict):
        raise validation_error("Invalid input JSON: expected an object.")
    return body


def _int_param(request: Request, name: str, default: int) -> int:
    value = request.param(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise validation_error(f"{name} must be an integer, got {value!r}.") from None


def _bool_param(request: Request, name: str) -> bool:
    return (request.param(name) or "false").lower() == "true"


def _encode_after(position: int) -> str:
    """An opaque paging cursor, as HubSpot's are (clients must not parse them)."""
    return base64.urlsafe_b64encode(f"fake:{position}".encode()).decode().rstrip("=")


def _decode_after(token: str | None) -> int | None:
    if not token:
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, position = text.partition(":")
        if prefix != "fake":
            raise ValueError(text)
        return int(position)
    except (ValueError, UnicodeDecodeError):
        raise validation_error(f"Invalid paging cursor after={token!r}.") from None


def _next_page(request: Request, after: str) -> dict:
    host = request.header("host") or "127.0.0.1"
    return {"next": {"after": after, "link": f"http://{host}{request.path}?after={after}"}}
