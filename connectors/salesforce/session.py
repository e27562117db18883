"""The HTTP session every Salesforce call goes through: timeouts, retries, scheme, clock.

simple-salesforce sends no timeout, never retries, and builds every URL as
``https://{instance}`` (and login URLs as ``https://{domain}.salesforce.com``)
even when the org sits behind ``http://`` (a proxy, a sandbox tunnel, the local
fake). ``build_session`` returns a ``SalesforceSession`` that fixes all three;
pass it as ``Salesforce(..., session=...)``. Bulk 2.0 calls go through the same
session.

The session also watches every response: the ``Date`` header is the server's
clock (incremental syncs need server time, not this machine's), and
``Sforce-Limit-Info`` is the org's daily API usage, which error messages quote.
Objects sync concurrently, so that org-wide figure cannot say what one object
cost: ``counting_requests`` counts the responses seen in its context instead
(the context is copied into the page-prefetch thread).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import email.utils
import re
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

Timeout = float | tuple[float, float]

USER_AGENT = "trustgap"
# 429 is rare on Salesforce REST but common behind proxies; 5xx are transient.
# REQUEST_LIMIT_EXCEEDED arrives as 403 and is a 24-hour quota: never retried.
RETRY_STATUSES = (429, 500, 502, 503, 504)
_API_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")
# Enough pooled connections for SALESFORCE_CONCURRENCY workers (at most 16), each
# with one page prefetched: requests' default of 10 per host would drop and reopen
# connections above 5 workers.
POOL_CONNECTIONS = 32


class RequestCount:
    """API responses counted for one object, from every thread that works on it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self) -> None:
        with self._lock:
            self.value += 1


_COUNT: contextvars.ContextVar[RequestCount | None] = contextvars.ContextVar(
    "salesforce_request_count", default=None
)


@contextlib.contextmanager
def counting_requests() -> Iterator[RequestCount]:
    """Count the responses the session receives in this context (and copies of it)."""
    count = RequestCount()
    token = _COUNT.set(count)
    try:
        yield count
    finally:
        _COUNT.reset(token)


class CappedRetry(Retry):
    """urllib3's Retry, with Retry-After capped at ``backoff_max``.

    urllib3 sleeps whatever a Retry-After header asks (``backoff_max`` caps only
    its own backoff), so a proxy's 429 asking for a day would hang the nightly run.
    The HubSpot client caps it the same way (connectors/hubspot/ratelimit.py).
    """

    def get_retry_after(self, response) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.backoff_max)


def default_retry(total: int = 5, backoff_factor: float = 1.0) -> Retry:
    """Retry connection errors, 429 and 5xx with exponential backoff and Retry-After."""
    return CappedRetry(
        total=total,
        connect=total,
        read=total,
        status=total,
        backoff_factor=backoff_factor,
        backoff_max=60,
        status_forcelist=RETRY_STATUSES,
        # POST is included for Bulk 2.0 job creation: a 429/503 there was refused
        # before any work, and a duplicated query job only costs quota.
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {"POST", "PATCH"},
        respect_retry_after_header=True,
        # Hand the last error response back so simple-salesforce raises its typed
        # exception with Salesforce's message, instead of a bare RetryError.
        raise_on_status=False,
    )


class SalesforceAdapter(HTTPAdapter):
    """Transport adapter adding a default timeout and URL rewrites.

    ``rewrites`` maps the ``host[:port]`` simple-salesforce puts after
    ``https://`` to the scheme and ``host[:port]`` really meant: an ``http://``
    instance keeps its host and gets its scheme back; a custom login host
    (``SALESFORCE_DOMAIN=http://127.0.0.1:8123``) is reached under the placeholder
    name the SDK builds from it. Other URLs pass unchanged.
    """

    def __init__(
        self,
        *,
        timeout: Timeout,
        plain_http_netloc: str | None = None,
        max_retries: Retry | int = 0,
    ) -> None:
        self.timeout = timeout
        self.rewrites: dict[str, tuple[str, str]] = {}
        if plain_http_netloc:
            self.add_rewrite(plain_http_netloc, "http", plain_http_netloc)
        pool = POOL_CONNECTIONS
        super().__init__(max_retries=max_retries, pool_connections=pool, pool_maxsize=pool)

    def add_rewrite(self, sdk_netloc: str, scheme: str, netloc: str) -> None:
        self.rewrites[sdk_netloc.lower()] = (scheme, netloc)

    def rewrite_url(self, url: str) -> str:
        parts = urlsplit(url)
        target = self.rewrites.get(parts.netloc.lower()) if parts.scheme == "https" else None
        if target is None:
            return url
        scheme, netloc = target
        return urlunsplit(parts._replace(scheme=scheme, netloc=netloc))

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        request.url = self.rewrite_url(request.url or "")
        return super().send(request, **kwargs)


# Login endpoints answer a refused login with HTTP 500 (a SOAP fault): retrying
# it would only repeat the failure, slowly, and can lock the user out.
_LOGIN_PATHS = ("/services/Soap/u/", "/services/oauth2/token")


class SalesforceSession(requests.Session):
    """A ``requests.Session`` that remembers the server's clock and the API usage.

    Login calls go through ``login_adapter``, which retries only connection
    errors (the request never reached Salesforce), never an answered login.
    """

    def __init__(self, adapter: SalesforceAdapter, login_adapter: SalesforceAdapter) -> None:
        super().__init__()
        self.adapter = adapter
        self.login_adapter = login_adapter
        login_adapter.rewrites = adapter.rewrites
        self.headers["User-Agent"] = USER_AGENT
        self.mount("https://", adapter)
        self.mount("http://", adapter)
        self.server_time: dt.datetime | None = None
        self.api_usage: tuple[int, int] | None = None
        self._usage_lock = threading.Lock()
        self.hooks["response"].append(self._observe)

    def get_adapter(self, url: str) -> requests.adapters.BaseAdapter:
        if any(path in url for path in _LOGIN_PATHS):
            return self.login_adapter
        return super().get_adapter(url)

    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        count = _COUNT.get()
        if count is not None:
            count.add()
        date = response.headers.get("Date")
        if date:
            with contextlib.suppress(TypeError, ValueError):
                self.server_time = email.utils.parsedate_to_datetime(date).astimezone(dt.UTC)
        usage = _API_USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
        if usage:
            seen = (int(usage.group(1)), int(usage.group(2)))
            # Workers share this session and their responses are observed in any order:
            # an earlier request's figure seen last must not replace a later one's (a
            # refusal then quoted "4 of 4 used" instead of "5 of 4"). Usage only grows
            # within a day; a new limit is taken as it comes.
            with self._usage_lock:
                last = self.api_usage
                if last is None or seen[1] != last[1] or seen[0] > last[0]:
                    self.api_usage = seen

    def now(self) -> dt.datetime:
        """The server's time at the last response (this machine's time before any)."""
        return self.server_time or dt.datetime.now(dt.UTC)

    def usage_text(self) -> str:
        if self.api_usage is None:
            return "usage unknown"
        used, limit = self.api_usage
        return f"{used:,} of {limit:,} daily API requests used"


def sdk_netloc(instance_url: str) -> str:
    """The host[:port] simple-salesforce derives from an instance URL.

    Mirrors ``Salesforce.__init__``: the hostname, plus the port unless it is
    absent or 443.
    """
    parts = urlsplit(instance_url if "//" in instance_url else f"//{instance_url}")
    netloc = parts.hostname or ""
    if parts.port not in (None, 443):
        netloc += f":{parts.port}"
    return netloc


def build_session(
    instance_url: str | None = None,
    *,
    timeout: Timeout = (5, 120),
    retries: Retry | int | None = None,
) -> SalesforceSession:
    """A session for simple-salesforce against ``instance_url`` (if known yet).

    ``timeout`` is (connect, read) seconds, applied to every request that does not
    set its own. ``retries`` is a urllib3 ``Retry``, a total count, or None for
    ``default_retry()``; 0 disables retries. An ``http://`` instance URL is kept
    http even though the SDK asks for https.
    """
    if retries is None:
        retries = default_retry()
    elif isinstance(retries, int):
        retries = default_retry(total=retries) if retries > 0 else Retry(0, read=False)
    plain_http = bool(instance_url) and urlsplit(instance_url).scheme.lower() == "http"
    adapter = SalesforceAdapter(
        timeout=timeout,
        plain_http_netloc=sdk_netloc(instance_url) if plain_http else None,
        max_retries=retries,
    )
    connects = retries.connect if retries.connect is not None else retries.total or 0
    login_retries = Retry(
        total=connects,
        connect=connects,
        read=0,
        status=0,
        other=0,
        backoff_factor=retries.backoff_factor,
        allowed_methods=None,
        raise_on_status=False,
    )
    return SalesforceSession(adapter, SalesforceAdapter(timeout=timeout, max_retries=login_retries))
