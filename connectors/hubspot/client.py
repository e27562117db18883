"""The one HubSpot API client every sync call goes through.

`HubSpotApi` builds one
`hubspot.HubSpot` client and its generated sub-APIs once (each access to
`client.crm.…_api` would build a new connection pool), paces every request with
the rate limiter, retries through `HubSpotRetry` (POST included), sets a timeout
on every call and asks the SDK for the raw response (`_preload_content=False`):
the JSON is decoded (orjson, ~3x faster again than `json.loads`) straight into
Arrow columns, because the SDK's model deserialisation is ~40x slower than
`json.loads`. SDK and transport errors
become the typed, secret-free errors of `connectors.errors`.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
import urllib3
from hubspot import HubSpot
from hubspot.crm.associations.v4.exceptions import ApiException as AssociationsApiException
from hubspot.crm.objects.exceptions import ApiException as ObjectsApiException
from hubspot.crm.owners.exceptions import ApiException as OwnersApiException
from hubspot.crm.pipelines.exceptions import ApiException as PipelinesApiException

from connectors.errors import (
    CrmAuthError,
    CrmQuotaError,
    CrmRequestError,
    CrmUnavailableError,
)
from connectors.hubspot.ratelimit import SEARCH, HubSpotRetry, RequestLimiter
from connectors.hubspot.settings import HubSpotSettings

# The request kind of `HubSpotApi.count`: a search only used to order the work.
COUNT = "count"

API_ERRORS = (
    ObjectsApiException,
    OwnersApiException,
    PipelinesApiException,
    AssociationsApiException,
)


class HubSpotApi:
    """The HubSpot endpoints the sync reads, as decoded JSON."""

    def __init__(self, settings: HubSpotSettings) -> None:
        self.settings = settings
        self.timeout = settings.timeout
        self.limiter = RequestLimiter(settings.rate_limits)
        retry = HubSpotRetry.standard(
            settings.retries, limiter=self.limiter, min_wait_s=settings.min_retry_wait_s
        )
        client = HubSpot(
            access_token=settings.access_token.reveal(), retry=retry, host=settings.base_url
        )
        crm = client.crm
        self._objects = crm.objects.basic_api
        self._search = crm.objects.search_api
        self._batch = crm.objects.batch_api
        self._owners = crm.owners.owners_api
        self._pipelines = crm.pipelines.pipelines_api
        self._associations = crm.associations.v4.batch_api
        # Logical calls made, by endpoint kind (retries are not counted twice).
        self.requests: Counter[str] = Counter()
        # The sync's workers call concurrently (urllib3's pool and the limiter are
        # thread-safe; the counter is not).
        self._requests_lock = threading.Lock()

    # -- endpoints ---------------------------------------------------------------

    def list_page(
        self,
        object_type: str,
        *,
        properties: Sequence[str],
        history: Sequence[str] = (),
        after: str | None = None,
        limit: int = 100,
        archived: bool = False,
    ) -> dict:
        """One page of `GET /crm/v3/objects/{type}`; properties are sent on every page."""
        kwargs = {"limit": limit, "properties": list(properties), "archived": archived}
        if history:
            kwargs["properties_with_history"] = list(history)
        if after:
            kwargs["after"] = after
        return self._call(
            "list", f"listing {object_type}", self._objects.get_page, object_type, **kwargs
        )

    def search(self, object_type: str, body: dict) -> dict:
        """One `POST /crm/v3/objects/{type}/search` page."""
        return self._call(
            SEARCH, f"searching {object_type}", self._search.do_search, object_type, body
        )

    def count(self, object_type: str) -> int:
        """How many live records `object_type` has: a one-result search's `total`."""
        body = {"limit": 1, "properties": ["hs_object_id"]}
        page = self._call(
            COUNT, f"counting {object_type}", self._search.do_search, object_type, body
        )
        return int(page.get("total") or 0)

    def batch_read(
        self,
        object_type: str,
        ids: Sequence[str],
        *,
        properties: Sequence[str],
        history: Sequence[str] = (),
    ) -> dict:
        """Records by id (`POST …/batch/read`); missing ids are left out (207)."""
        body: dict = {"inputs": [{"id": i} for i in ids], "properties": list(properties)}
        if history:
            body["propertiesWithHistory"] = list(history)
        return self._call(
            "batch_read",
            f"reading {object_type} by id",
            self._batch.read,
            object_type,
            body,
            archived=False,
        )

    def associations(self, from_type: str, to_type: str, inputs: Sequence[dict]) -> dict:
        """`POST /crm/v4/associations/{from}/{to}/batch/read` for `inputs` ({id, after?})."""
        return self._call(
            "associations",
            f"reading {from_type}-{to_type} associations",
            self._associations.get_page,
            from_type,
            to_type,
            {"inputs": list(inputs)},
        )

    def owners_page(self, *, after: str | None = None, archived: bool = False) -> dict:
        kwargs = {"limit": 500, "archived": archived}
        if after:
            kwargs["after"] = after
        return self._call("owners", "listing owners", self._owners.get_page, **kwargs)

    def account_details(self) -> dict:
        """`GET /account-info/v3/details`: the account's time zone (`timeZone`) and currency.

        hubspot-api-client 12 has no API class for it, and its `api_request` sends bare
        `requests` calls (no timeout, no retry, errors printed). The owners API's
        generated client makes the call instead: same auth, retries, pacing and timeout.
        """
        return self._call(
            "account",
            "reading the account's details",
            self._owners.api_client.call_api,
            "/account-info/v3/details",
            "GET",
            header_params={"Accept": "application/json"},
            auth_settings=["oauth2"],
        )

    def pipelines(self, object_type: str = "deals") -> dict:
        return self._call(
            "pipelines", f"reading {object_type} pipelines", self._pipelines.get_all, object_type
        )

    # -- transport ---------------------------------------------------------------

    def _call(self, kind: str, what: str, method, *args, **kwargs) -> dict:
        """One API call: paced, retried, timed out, decoded; errors translated."""
        with self._requests_lock:
            self.requests[kind] += 1
        for attempt in (1, 2):
            # A count is a search to HubSpot, counted apart here (benchmarks/hubspot_api.py).
            self.limiter.acquire(SEARCH if kind == COUNT else kind)
            try:
                try:
                    response = method(
                        *args, _preload_content=False, _request_timeout=self.timeout, **kwargs
                    )
                finally:
                    # Answered (or failed): HubSpot counted it by now (ratelimit.py).
                    self.limiter.release()
                try:
                    body = response.data
                finally:
                    response.release_conn()
                self.limiter.observe(response.headers)
                return orjson.loads(body)
            except API_ERRORS as exc:
                raise _translate(exc, what) from None
            except urllib3.exceptions.ProtocolError:
                # A page cut off mid-body: ask once more, then leave it to the step retry.
                if attempt == 2:
                    raise CrmUnavailableError(
                        f"HubSpot's answer was cut off twice when {what}; "
                        "run again (nothing half-read was landed)."
                    ) from None
            except (json.JSONDecodeError, UnicodeDecodeError):
                # A whole answer that does not decode: asked once more, the same answer
                # would not be worth minutes of step retries.
                if attempt == 2:
                    raise CrmRequestError(
                        f"HubSpot sent an unreadable answer (not JSON) when {what}, twice; "
                        "nothing of it was landed. Check HUBSPOT_API_BASE and any proxy."
                    ) from None
            except urllib3.exceptions.HTTPError as exc:
                raise CrmUnavailableError(
                    f"Could not reach HubSpot when {what} after retries: {type(exc).__name__}. "
                    "Check HUBSPOT_API_BASE and the network."
                ) from None
        raise AssertionError("unreachable")


def _translate(exc, what: str) -> Exception:
    """A user-facing error for an SDK ApiException (no URL, header or token in it)."""
    status = exc.status or 0
    body = _error_body(exc.body)
    message = str(body.get("message") or exc.reason or "no details")[:300]
    if status == 401:
        return CrmAuthError(
            "HubSpot rejected the access token (expired, revoked or invalid). Rotate the "
            "private app's token and set HUBSPOT_ACCESS_TOKEN."
        )
    if status == 403:
        scopes = [
            scope
            for error in body.get("errors") or []
            for scope in (error.get("context") or {}).get("requiredScopes") or []
        ]
        if body.get("category") == "MISSING_SCOPES" or scopes:
            needed = ", ".join(scopes) or "the scopes listed in the README"
            return CrmAuthError(
                f"The HubSpot private app may not read this data ({what}): grant it {needed} "
                "in the app's settings, then run again."
            )
        return CrmAuthError(f"HubSpot refused {what} (403): {message}")
    if status == 429:
        policy = body.get("policyName") or "unknown"
        if policy == "DAILY":
            return CrmQuotaError(
                "HubSpot's daily API limit for this account is used up; the run stopped "
                "without further calls. Run again after the daily window resets (midnight in "
                "the account's time zone)."
            )
        # A window of seconds, not the daily quota: it frees itself.
        return CrmUnavailableError(
            f"HubSpot kept refusing requests for its {policy} rate limit when {what}, after "
            "retries. Lower HUBSPOT_RATE_LIMIT (other apps may share the limit) and run again."
        )
    if status >= 500:
        return CrmUnavailableError(
            f"HubSpot answered {status} when {what}, after retries: {message}"
        )
    return CrmRequestError(f"HubSpot refused {what} ({status}): {message}")


def _error_body(raw) -> dict:
    try:
        body = json.loads(raw) if raw else {}
    except (ValueError, TypeError):
        return {}
    return body if isinstance(body, dict) else {}


@dataclass(frozen=True)
class HubSpotConnection:
    """What a sync needs from one account: the API client, and whether to re-read it all."""

    api: HubSpotApi
    full_refresh: bool = False
