"""A local fake of the Salesforce REST API that the real simple-salesforce client can use.

``FakeSalesforce`` serves an in-memory org (``{"Opportunity": [record, ...]}``) over
plain HTTP on 127.0.0.1 with the real wire format: bearer-token auth, SOAP and
JWT-bearer logins (``login.py``), describe, limits and versions (``metadata.py``),
SOQL query/queryAll with server-side cursors and ``nextRecordsUrl`` paging
(``queries.py``), the deleted-records log (``replication.py``), Bulk API 2.0 query
jobs (``bulk.py``), Salesforce-shaped error arrays and the ``Sforce-Limit-Info``
header. Requests are counted per endpoint kind so tests can assert how many calls
a sync made; fault rules (``faults.py``) can be put in front of every endpoint;
the org changes between runs through ``org.py``; once ``api_limit`` requests are
used every call is refused with 403 REQUEST_LIMIT_EXCEEDED, as a real org's daily
quota is.

Endpoints are a route table: a regex, a kind and the name of a method (here or
in one of the endpoint mixins) that takes a ``Request`` and returns a ``Response``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from demo.fake_http.faults import chain
from demo.fake_http.server import LocalServer, RequestHandler, ThreadedServer
from demo.fake_http.server import route as _route
from demo.fake_salesforce import login
from demo.fake_salesforce.bulk import BulkJobs
from demo.fake_salesforce.errors import (
    SalesforceApiError,
    error_body,
    invalid_session,
    method_not_allowed,
    not_found,
)
from demo.fake_salesforce.faults import FailNext, Fault
from demo.fake_salesforce.messages import Request, Response
from demo.fake_salesforce.metadata import MetadataEndpoints
from demo.fake_salesforce.org import OrgChanges
from demo.fake_salesforce.queries import MAX_BATCH_SIZE, QueryEndpoints
from demo.fake_salesforce.replication import ReplicationEndpoints
from demo.fake_salesforce.schema import ObjectSchema

logger = logging.getLogger(__name__)

Record = Mapping[str, Any]

_OLDEST_VERSION = 31
_DATA_PREFIX = re.compile(r"^/services/data/v(?P<version>\d+\.\d)(?P<rest>/.*)?$")


# Matched against the path after /services/data/vNN.N; trailing slash optional
# because simple-salesforce asks for both ".../describe" and ".../limits/".
_ROUTES = (
    _route("GET", r"/sobjects/?", "sobjects", "_describe_global"),
    _route("GET", r"/sobjects/(?P<object>[^/]+)/describe/?", "describe", "_describe"),
    _route("GET", r"/sobjects/(?P<object>[^/]+)/deleted/?", "deleted", "_deleted"),
    _route("GET", r"/sobjects/(?P<object>[^/]+)/?", "sobject", "_sobject"),
    _route("GET", r"/limits/?", "limits", "_limits"),
    _route("GET", r"/query/?", "query", "_query"),
    _route("GET", r"/queryAll/?", "queryAll", "_query_all"),
    _route("GET", r"/(?:query|queryAll)/(?P<locator>[^/]+)/?", "query_more", "_query_more"),
    _route("POST", r"/jobs/query/?", "bulk_create", "_bulk_create"),
    _route("GET", r"/jobs/query/(?P<job>[^/]+)/?", "bulk_job", "_bulk_job"),
    _route("PATCH", r"/jobs/query/(?P<job>[^/]+)/?", "bulk_abort", "_bulk_abort"),
    _route("DELETE", r"/jobs/query/(?P<job>[^/]+)/?", "bulk_delete", "_bulk_delete"),
    _route("GET", r"/jobs/query/(?P<job>[^/]+)/results/?", "bulk_results", "_bulk_results"),
)
_SOAP_LOGIN = re.compile(r"^/services/Soap/u/(?P<version>\d+\.\d)/?$")
_OAUTH_TOKEN = "/services/oauth2/token"


class _Server(ThreadedServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (read timeout) leaves a broken pipe behind: expected
        # in fault tests, not worth a traceback on stderr.
        logger.debug("fake Salesforce connection from %s ended abruptly", client_address)


class _Handler(RequestHandler):
    server_version = "FakeSalesforce/1.0"
    logger = logger
    server: _Server

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header follows the fake org's clock, as a client would see
        # a real server's clock.
        if timestamp is not None:
            return super().date_time_string(timestamp)
        return email.utils.format_datetime(self.server.fake.now().astimezone(dt.UTC), usegmt=True)


class FakeSalesforce(
    LocalServer,
    login.Sessions,
    OrgChanges,
    BulkJobs,
    QueryEndpoints,
    MetadataEndpoints,
    ReplicationEndpoints,
):
    """An in-memory Salesforce org behind a local HTTP server.

    ``records`` maps object API names to lists of record dicts (fields as in
    ``connectors.salesforce.objects``). An object whose key is present exists in
    the org even with no rows; an absent key is an object the org does not have.
    Every org also has its one ``Organization`` row (``organization_id``; its
    calendar fields from ``organization``). Custom fiscal years are the records
    of ``FiscalYearSettings`` and ``Period``, as any other object's.
    ``access_token`` is accepted as a session; ``allow_password_login`` and
    ``allow_jwt_login`` let clients log in for fresh ones.
    Use as a context manager, or call ``start()`` / ``stop()``.
    """

    server_class = _Server
    handler_class = _Handler
    thread_name = "fake-salesforce"

    def __init__(
        self,
        records: Mapping[str, Sequence[Record]] | None = None,
        access_token: str = "demo-token",
        api_version: str = "59.0",
        *,
        page_size: int = MAX_BATCH_SIZE,
        api_limit: int = 15000,
        max_open_cursors: int = 10,
        host: str = "127.0.0.1",
        organization_id: str = "00DFAKE0000000001",
        organization: Mapping[str, Any] | None = None,
        bulk_polls: int = 1,
    ) -> None:
        self.access_token = access_token
        self.organization_id = organization_id
        self.logins = login.Logins(tokens={access_token})
        self.api_version = api_version
        self.page_size = page_size
        self.api_limit = api_limit
        # Real orgs keep 10 open query cursors per user and silently drop the oldest.
        self.max_open_cursors = max_open_cursors
        self.host = host
        self.request_counts: Counter[str] = Counter()
        # Calls counted against the daily limit; survives reset_counts().
        self.api_usage = 0
        self.faults: list[Fault] = []
        self._lock = threading.RLock()
        self._records: dict[str, list[Record]] = {}
        self._schemas: dict[str, ObjectSchema] = {}
        major = int(float(api_version))
        self.versions = [f"{v}.0" for v in range(_OLDEST_VERSION, major + 1)]
        self._init_changes()
        self._init_bulk(bulk_polls)
        self._init_queries()
        # The org's calendar lives on its one Organization row; `organization`
        # overrides these fields (e.g. the demo's February fiscal year).
        self.set_records(
            "Organization",
            [
                {
                    "Name": "Fake Org",
                    "OrganizationType": "Enterprise Edition",
                    "FiscalYearStartMonth": 1,
                    "UsesStartDateAsFiscalYearName": False,
                    "TimeZoneSidKey": "GMT",
                    "DefaultLocaleSidKey": "en_US",
                    **(organization or {}),
                    "Id": organization_id,
                }
            ],
        )
        for name, rows in (records or {}).items():
            self.set_records(name, rows)

    @property
    def instance_url(self) -> str:
        return self._url("FakeSalesforce")

    # -- the org -----------------------------------------------------------------

    def set_records(self, object_name: str, records: Sequence[Record] | None) -> None:
        """Replace an object's rows (None removes the object from the org).

        Open cursors keep the rows they were created with, as in a real org.
        """
        with self._lock:
            if records is None:
                self._records.pop(object_name, None)
                self._schemas.pop(object_name, None)
                return
            rows = list(records)
            self._records[object_name] = rows
            self._schemas[object_name] = ObjectSchema.from_records(object_name, rows)

    def records(self, object_name: str) -> list[Record]:
        """The object's current rows (a copy of the list)."""
        with self._lock:
            return list(self._records[object_name])

    @property
    def object_names(self) -> list[str]:
        with self._lock:
            return list(self._records)

    def _schema(self, name: str) -> tuple[ObjectSchema, list[Record]]:
        with self._lock:
            for object_name, schema in self._schemas.items():
                if object_name.lower() == name.lower():
                    return schema, self._records[object_name]
        raise not_found()

    # -- counters and faults -----------------------------------------------------

    @property
    def total_requests(self) -> int:
        with self._lock:
            return sum(self.request_counts.values())

    def reset_counts(self) -> None:
        with self._lock:
            self.request_counts.clear()

    def add_fault(self, fault: Fault) -> Fault:
        """Put a fault rule in front of every endpoint (consulted in order added)."""
        with self._lock:
            self.faults.append(fault)
        return fault

    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        kinds: Sequence[str] | None = None,
    ) -> FailNext:
        """Answer the next ``n`` requests (of ``kinds``, default any) with an error."""
        rule = FailNext(n, status, body, headers=headers, kinds=kinds)
        self.add_fault(rule)
        return rule

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    # -- request handling --------------------------------------------------------

    def route(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes = b""
    ) -> Request:
        """Turn an HTTP request line into a routed ``Request``."""
        url = urlsplit(target)
        path = url.path
        params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        lower_headers = {k.lower(): v for k, v in headers.items()}

        def request(kind: str, **kwargs: Any) -> Request:
            return Request(method, path, params, lower_headers, body, kind, **kwargs)

        if path.rstrip("/") == "/services/data":
            endpoint = self._versions if method == "GET" else None
            return request("versions", endpoint=endpoint, requires_auth=False)
        if method == "POST" and _SOAP_LOGIN.match(path):
            return request("login", endpoint=self._soap_login, requires_auth=False)
        if method == "POST" and path.rstrip("/") == _OAUTH_TOKEN:
            return request("oauth_token", endpoint=self._oauth_token, requires_auth=False)
        match = _DATA_PREFIX.match(path)
        if not match or match["version"] not in self.versions:
            return request("not_found")
        rest = match["rest"] or "/"
        allowed = []
        for route in _ROUTES:
            found = route.pattern.fullmatch(rest)
            if not found:
                continue
            if route.method != method:
                allowed.append(route.method)
                continue
            return request(
                route.kind,
                version=match["version"],
                args=found.groupdict(),
                endpoint=getattr(self, route.endpoint),
            )
        if allowed:
            return request("method_not_allowed", args={"allowed": ",".join(allowed)})
        return request("not_found", version=match["version"])

    def handle(self, request: Request) -> Response:
        """Count the request, run it through the fault rules and answer it."""
        with self._lock:
            self.request_counts[request.kind] += 1
            self.api_usage += 1
            usage = self.api_usage
            faults = list(self.faults)

        call: Callable[[Request], Response] = self._dispatch
        if usage > self.api_limit and request.requires_auth:
            call = self._over_quota
        call = chain(faults, call)
        try:
            response = call(request)
        except SalesforceApiError as error:
            response = Response(error.status, error.body())
        except Exception as error:  # the fake must answer, never hang the client
            logger.exception("fake Salesforce failed on %s %s", request.method, request.path)
            response = Response(500, error_body("UNKNOWN_EXCEPTION", repr(error)))

        if any(getattr(f, "exhausted", False) for f in faults):
            with self._lock:
                self.faults = [f for f in self.faults if not getattr(f, "exhausted", False)]
        response.headers.setdefault("Sforce-Limit-Info", f"api-usage={usage}/{self.api_limit}")
        return response

    def _dispatch(self, request: Request) -> Response:
        if request.kind == "method_not_allowed":
            raise method_not_allowed(request.method, request.args["allowed"].split(","))
        if request.endpoint is None:
            raise not_found()
        if request.requires_auth and not self._authorized(request):
            raise invalid_session()
        return request.endpoint(request)

    def _over_quota(self, request: Request) -> Response:
        raise SalesforceApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")


def fake_organization_id(*parts: object) -> str:
    """A stable 18-char Organization Id derived from ``parts`` (e.g. a demo org's knobs)."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:10].upper()
    return f"00D{digest}AAAAA"
