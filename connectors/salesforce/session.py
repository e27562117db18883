"""The HTTP session every Salesforce call goes through: timeouts, retries, scheme.

simple-salesforce sends no timeout, never retries, and builds every URL as
``https://{instance}`` even when the instance URL is ``http://`` (a proxy, a
sandbox tunnel, the local fake). ``build_session`` returns a ``requests.Session``
that fixes all three; pass it as ``Salesforce(..., session=build_session(url))``.
Bulk 2.0 calls go through the same session.
"""

from __future__ import annotations

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


def default_retry(total: int = 5, backoff_factor: float = 1.0) -> Retry:
    """Retry connection errors, 429 and 5xx with exponential backoff and Retry-After."""
    return Retry(
        total=total,
        connect=total,
        read=total,
        status=total,
        backoff_factor=backoff_factor,
        backoff_max=60,
        status_forcelist=RETRY_STATUSES,
        # POST is included for Bulk 2.0 job creation: a 429/503 there was refused
        # before any work, and a duplicated query job only costs quota.
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {"POST"},
        respect_retry_after_header=True,
        # Hand the last error response back so simple-salesforce raises its typed
        # exception with Salesforce's message, instead of a bare RetryError.
        raise_on_status=False,
    )


class SalesforceAdapter(HTTPAdapter):
    """Transport adapter adding a default timeout and the https→http rewrite.

    ``plain_http_netloc`` is the ``host[:port]`` simple-salesforce puts after
    ``https://`` for an ``http://`` instance; only URLs on it are rewritten, so
    https calls elsewhere (login, other hosts) keep their scheme.
    """

    def __init__(
        self,
        *,
        timeout: Timeout,
        plain_http_netloc: str | None = None,
        max_retries: Retry | int = 0,
    ) -> None:
        self.timeout = timeout
        self.plain_http_netloc = plain_http_netloc.lower() if plain_http_netloc else None
        super().__init__(max_retries=max_retries)

    def rewrite_url(self, url: str) -> str:
        if self.plain_http_netloc is None:
            return url
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.netloc.lower() == self.plain_http_netloc:
            return urlunsplit(parts._replace(scheme="http"))
        return url

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        request.url = self.rewrite_url(request.url or "")
        return super().send(request, **kwargs)


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
    instance_url: str,
    *,
    timeout: Timeout = (5, 120),
    retries: Retry | int | None = None,
) -> requests.Session:
    """A ``requests.Session`` for simple-salesforce against ``instance_url``.

    ``timeout`` is (connect, read) seconds, applied to every request that does not
    set its own. ``retries`` is a urllib3 ``Retry``, a total count, or None for
    ``default_retry()``; 0 disables retries. An ``http://`` instance URL is kept
    http even though the SDK asks for https.
    """
    if retries is None:
        retries = default_retry()
    elif isinstance(retries, int):
        retries = default_retry(total=retries) if retries > 0 else Retry(0, read=False)
    plain_http = urlsplit(instance_url).scheme.lower() == "http"
    adapter = SalesforceAdapter(
        timeout=timeout,
        plain_http_netloc=sdk_netloc(instance_url) if plain_http else None,
        max_retries=retries,
    )
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
