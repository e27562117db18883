"""Every Salesforce API call Trustgap makes, and what its failures mean to a user.

``SalesforceApi`` wraps the simple-salesforce client: describe, COUNT(), query
pages, the deleted-records log, the org's id, and raw session requests for Bulk
2.0. Each call's failure becomes one of the typed errors of
``connectors.errors``: an expired session says which setting to refresh,
REQUEST_LIMIT_EXCEEDED stops the run with the org's usage figure, an object the
user cannot see is ``ObjectUnavailable`` (optional objects turn that into a
warning), a malformed or truncated body is named as such. SDK exceptions carry
URLs and bodies; they are never chained (``from None``), so nothing of a request
can leak into a message.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)
from simple_salesforce.util import exception_handler

from connectors.errors import (
    CrmAuthError,
    CrmQuotaError,
    CrmRequestError,
    CrmUnavailableError,
    SchemaDriftError,
)
from connectors.salesforce.session import SalesforceSession
from connectors.workers import RunStopped  # the shared pool's: a stopping run

# Error codes meaning "this object is not there for this user".
_UNAVAILABLE_CODES = {"INVALID_TYPE", "NOT_FOUND", "INSUFFICIENT_ACCESS", "INVALIDENTITY"}


class ObjectUnavailable(CrmRequestError):
    """The org has no such object, or the API user may not read it."""


_STOP: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar(
    "salesforce_run_stop", default=None
)


@contextlib.contextmanager
def stopping_on(event: threading.Event) -> Iterator[None]:
    """Calls in this context (and copies of it) raise `RunStopped` once `event` is set."""
    token = _STOP.set(event)
    try:
        yield
    finally:
        _STOP.reset(token)


def check_stop() -> None:
    """Raise `RunStopped` when the run this context belongs to is stopping."""
    event = _STOP.get()
    if event is not None and event.is_set():
        raise RunStopped("the Salesforce run is stopping")


class SalesforceApi:
    """The calls a sync makes, with user-facing errors (see the module docstring)."""

    def __init__(self, sf: Salesforce, auth_method: str = "token") -> None:
        self.sf = sf
        self.auth_method = auth_method
        self.session: SalesforceSession = sf.session

    # -- calls ---------------------------------------------------------------------------

    def describe_global(self) -> dict[str, dict]:
        """The org's objects by name (describeGlobal entries)."""
        result = self.call(self.sf.describe, what="listing the org's objects")
        return {entry["name"]: entry for entry in result["sobjects"]}

    def describe(self, object_name: str) -> dict:
        return self.call(getattr(self.sf, object_name).describe, what=f"describing {object_name}")

    def count(self, soql: str, *, include_deleted: bool, object_name: str) -> int:
        page = self.query(soql, include_deleted=include_deleted, object_name=object_name)
        return int(page["totalSize"])

    def query(self, soql: str, *, include_deleted: bool, object_name: str) -> dict:
        url = self.sf.base_url + ("queryAll/" if include_deleted else "query/")
        return self.call(
            self._get_json, url, "query", params={"q": soql}, what=f"querying {object_name}"
        )

    def query_more(self, next_url: str, *, object_name: str) -> dict:
        # The same URL simple-salesforce's query_more(identifier_is_url=True) builds.
        url = f"https://{self.sf.sf_instance}{next_url}"
        return self.call(
            self._get_json, url, "query_more", what=f"reading the next page of {object_name}"
        )

    def deleted(self, object_name: str, start: dt.datetime, end: dt.datetime) -> dict:
        return self.call(
            getattr(self.sf, object_name).deleted,
            start,
            end,
            what=f"reading the deleted-records log of {object_name}",
        )

    def organization_id(self) -> str:
        return self.organization(("Id",))["Id"]

    def organization(self, fields: tuple[str, ...]) -> dict:
        """The org's one ``Organization`` row with `fields`."""
        page = self.call(
            self.sf.query,
            f"SELECT {', '.join(fields)} FROM Organization",
            what="reading the organization's settings",
        )
        return page["records"][0]

    def query_all_pages(self, soql: str, *, object_name: str) -> list[dict]:
        """Every record of a small query (a few pages at most), live rows only."""
        page = self.query(soql, include_deleted=False, object_name=object_name)
        records = list(page["records"])
        while not page.get("done", True) and page.get("nextRecordsUrl"):
            page = self.query_more(page["nextRecordsUrl"], object_name=object_name)
            records += page["records"]
        return records

    def _get_json(self, url: str, name: str, **kwargs: Any) -> Any:
        # simple-salesforce decodes every body with the stdlib parser into
        # OrderedDicts: for query pages, the bulk of a sync's bytes, that was the
        # largest CPU cost after landing. orjson into plain dicts is several times
        # faster. The SDK still sends the request (headers, session refresh, errors).
        response = self.sf._call_salesforce("GET", url, name=name, **kwargs)
        return orjson.loads(response.content)

    @property
    def base_url(self) -> str:
        return self.sf.base_url

    def request(self, method: str, url: str, *, what: str, **kwargs: Any) -> requests.Response:
        """A raw call through the session with the client's auth headers (Bulk 2.0)."""

        def send() -> requests.Response:
            headers = {**self.sf.headers, **kwargs.pop("headers", {})}
            response = self.session.request(method, url, headers=headers, **kwargs)
            if response.status_code >= 300:
                exception_handler(response, name=what)
            return response

        return self.call(send, what=what)

    # -- error translation ---------------------------------------------------------------

    def call(self, fn: Callable[..., Any], *args: Any, what: str, **kwargs: Any) -> Any:
        """Run one API call, turning SDK and transport errors into user-facing ones.

        An error that stops the run stops it here, in whichever thread made the call
        (a page prefetch too), not when the object's worker gets to it.
        """
        check_stop()
        try:
            return self._call(fn, *args, what=what, **kwargs)
        except (CrmAuthError, CrmQuotaError):
            event = _STOP.get()
            if event is not None:
                event.set()
            raise

    def _call(self, fn: Callable[..., Any], *args: Any, what: str, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SalesforceAuthenticationFailed:
            raise CrmAuthError(
                f"Salesforce refused to log in again while {what}; check the Salesforce "
                "credentials (see the README's Salesforce section)."
            ) from None
        except SalesforceExpiredSession:
            raise CrmAuthError(self._expired_message(what)) from None
        except SalesforceRefusedRequest as exc:
            codes = _codes(exc)
            if "REQUEST_LIMIT_EXCEEDED" in codes:
                raise CrmQuotaError(
                    "Salesforce's daily API request limit is exhausted (REQUEST_LIMIT_EXCEEDED, "
                    f"{self.session.usage_text()}); the run stopped at once, while {what}, "
                    "without further calls. Run again once the org's rolling 24-hour window "
                    "frees requests, or ask Salesforce for a higher limit."
                ) from None
            if codes & _UNAVAILABLE_CODES or any(
                c.startswith("INSUFFICIENT_ACCESS") for c in codes
            ):
                raise ObjectUnavailable(f"Salesforce refused {what}: {_errors(exc)}") from None
            raise CrmAuthError(
                f"Salesforce refused {what}: {_errors(exc)}. The API user needs the "
                "'API Enabled' permission and read access to the synced objects."
            ) from None
        except SalesforceResourceNotFound as exc:
            raise ObjectUnavailable(
                f"Salesforce found nothing while {what}: {_errors(exc)}"
            ) from None
        except SalesforceMalformedRequest as exc:
            codes = _codes(exc)
            if codes & _UNAVAILABLE_CODES:
                raise ObjectUnavailable(f"Salesforce refused {what}: {_errors(exc)}") from None
            if "INVALID_FIELD" in codes:
                raise SchemaDriftError(
                    f"Salesforce no longer accepts a field Trustgap asked for while {what}: "
                    f"{_errors(exc)}. The object's fields changed during the run; run again."
                ) from None
            raise CrmRequestError(f"Salesforce rejected {what}: {_errors(exc)}") from None
        except SalesforceError as exc:
            # 5xx and 429 are Salesforce's side or a proxy's, and pass; others would repeat.
            error = CrmUnavailableError if _transient_status(exc.status) else CrmRequestError
            raise error(
                f"Salesforce answered HTTP {exc.status} while {what}, after retries: {_errors(exc)}"
            ) from None
        except (requests.exceptions.JSONDecodeError, json.JSONDecodeError):
            # The whole body arrived (a connection cut short is a RequestException) and
            # is not JSON: a proxy's HTML page or a broken answer, which a retry a
            # minute later gets again.
            raise CrmRequestError(
                f"Salesforce sent a malformed or truncated response while {what} (not "
                "JSON; a proxy or maintenance page?); nothing of it was landed. Check "
                "SALESFORCE_INSTANCE_URL and any proxy, then run again."
            ) from None
        except requests.RequestException as exc:
            if _timed_out(exc):
                raise CrmUnavailableError(
                    f"Salesforce did not answer in time while {what}, after retries "
                    "(Timeout); the org or the network is slow: run again later, or raise "
                    "SALESFORCE_TIMEOUT_SECONDS."
                ) from None
            raise CrmUnavailableError(
                f"Could not reach Salesforce while {what}, after retries "
                f"({type(exc).__name__}); check the network and the instance URL."
            ) from None

    def _expired_message(self, what: str) -> str:
        if self.auth_method == "token":
            return (
                f"Salesforce rejected the access token (expired or invalid session) while "
                f"{what}. Refresh SALESFORCE_ACCESS_TOKEN and run again."
            )
        return (
            f"Salesforce rejected the session while {what}, even after logging in again. "
            "Check the API user's session settings and its access to the org."
        )


def _transient_status(status: object) -> bool:
    return isinstance(status, int) and (status == 429 or status >= 500)


def _timed_out(exc: requests.RequestException) -> bool:
    # requests reports a read timeout that exhausted the retries as a
    # ConnectionError wrapping urllib3's MaxRetryError(ReadTimeoutError).
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.Timeout) or "Timeout" in type(reason).__name__


def _codes(exc: SalesforceError) -> set[str]:
    content = exc.content
    if isinstance(content, list):
        return {str(e.get("errorCode")) for e in content if isinstance(e, dict)}
    return set()


def _errors(exc: SalesforceError) -> str:
    content = exc.content
    if isinstance(content, list):
        return "; ".join(
            f"{e.get('errorCode')}: {e.get('message')}" for e in content if isinstance(e, dict)
        )[:500]
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    return str(content)[:300]
