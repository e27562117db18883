"""Staying under HubSpot's rate limits instead of bouncing off them.

HubSpot counts requests in a rolling ten-second window per private app (100 on
Free/Starter, 190 on Professional/Enterprise) and the search endpoints per
second (about 4-5 per account); a 429 names the policy that was hit. Retrying
429s works, but a client that paces itself never burns requests (and the
account's daily quota) on refusals. So every request first takes a slot from
`RequestLimiter`, which keeps a little headroom under both windows and adapts to
the `X-HubSpot-RateLimit-*` headers the API sends back.

`HubSpotRetry` is the urllib3 retry policy the SDK is given: it retries POST
(search, batch reads) as well as GET, waits out a 429 the way its headers say
(Retry-After, else the window's interval), never retries the daily limit, and
takes a limiter slot before every retry so retries are paced too.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

SEARCH = "search"
# Requests per ten-second window by HubSpot product tier.
TIER_LIMITS = {"free": 100, "starter": 100, "professional": 190, "enterprise": 190}
# Share of each window the limiter uses: leaves room for clock jitter between
# our count and HubSpot's and for the odd request outside the sync.
HEADROOM = 0.9
RETRY_STATUSES = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class RateLimits:
    """The limits the client keeps under."""

    requests: int = TIER_LIMITS["starter"]
    interval_s: float = 10.0
    search_per_second: int = 4

    @property
    def request_budget(self) -> int:
        return max(1, int(self.requests * HEADROOM))

    @property
    def search_budget(self) -> int:
        return max(1, int(self.search_per_second * HEADROOM))


class RequestLimiter:
    """A rolling-window pacer: `acquire(kind)` blocks until a request may be sent."""

    def __init__(
        self,
        limits: RateLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = limits
        self.clock = clock
        self.sleep = sleep
        self.budget = limits.request_budget
        self.interval_s = limits.interval_s
        self.waited_s = 0.0
        self._sent: deque[float] = deque()
        self._searches: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self, kind: str = "api") -> None:
        """Take one request slot (searches also take one of the per-second slots)."""
        while True:
            with self._lock:
                now = self.clock()
                _expire(self._sent, now - self.interval_s)
                _expire(self._searches, now - 1.0)
                wait = self._paused_until - now
                if len(self._sent) >= self.budget:
                    wait = max(wait, self._sent[0] + self.interval_s - now)
                if kind == SEARCH and len(self._searches) >= self.limits.search_budget:
                    wait = max(wait, self._searches[0] + 1.0 - now)
                if wait <= 0:
                    self._sent.append(now)
                    if kind == SEARCH:
                        self._searches.append(now)
                    return
            self.waited_s += wait
            self.sleep(wait)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Adapt to the limits HubSpot reports (a lower tier than configured, a spent window)."""
        maximum = _number(headers.get("X-HubSpot-RateLimit-Max"))
        interval_ms = _number(headers.get("X-HubSpot-RateLimit-Interval-Milliseconds"))
        remaining = _number(headers.get("X-HubSpot-RateLimit-Remaining"))
        if maximum is None or not interval_ms:
            return
        interval_s = interval_ms / 1000
        with self._lock:
            # Compare rates, not counts: the server's window may differ from ours.
            server_rate = maximum * HEADROOM / interval_s
            if server_rate < self.budget / self.interval_s:
                self.budget = max(1, int(maximum * HEADROOM))
                self.interval_s = interval_s
            if remaining == 0:
                self._paused_until = max(self._paused_until, self.clock() + interval_s)


class HubSpotRetry(Retry):
    """urllib3 retries for HubSpot: POST included, 429s waited out as their headers say.

    ``limiter`` (optional) paces retries like first attempts; ``min_wait_s`` is the
    shortest wait after a 429 that names no interval (search's SECONDLY policy).
    """

    def __init__(
        self,
        *args,
        limiter: RequestLimiter | None = None,
        min_wait_s: float = 1.0,
        kind: str = "api",
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.limiter = limiter
        self.min_wait_s = min_wait_s
        self.kind = kind

    @classmethod
    def standard(
        cls, total: int = 6, *, limiter: RequestLimiter | None = None, min_wait_s: float = 1.0
    ) -> HubSpotRetry:
        return cls(
            total=total,
            connect=total,
            read=total,
            status=total,
            backoff_factor=min_wait_s,
            backoff_max=60,
            status_forcelist=RETRY_STATUSES,
            # urllib3's default leaves POST out, and search is a POST.
            allowed_methods=None,
            respect_retry_after_header=True,
            # Hand the last error response to the SDK, which raises ApiException
            # with HubSpot's body, instead of a bare MaxRetryError.
            raise_on_status=False,
            limiter=limiter,
            min_wait_s=min_wait_s,
        )

    def new(self, **kwargs) -> HubSpotRetry:
        retry = super().new(**kwargs)
        retry.limiter = self.limiter
        retry.min_wait_s = self.min_wait_s
        retry.kind = self.kind
        return retry

    def increment(
        self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None
    ):
        if response is not None and response.status == 429 and _daily_limit_hit(response):
            # A 24-hour quota: retrying only burns the rest of the day's calls.
            raise MaxRetryError(_pool, url, ResponseError("daily rate limit reached"))
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        retry.kind = SEARCH if url and url.split("?")[0].rstrip("/").endswith("/search") else "api"
        return retry

    def sleep(self, response=None) -> None:
        if response is not None and response.status == 429:
            time.sleep(self.rate_limit_wait(response))
        else:
            super().sleep(response)
        if self.limiter is not None:
            self.limiter.acquire(self.kind)

    def rate_limit_wait(self, response) -> float:
        """Seconds to wait after a 429: Retry-After, else the window, else backoff."""
        retry_after = response.headers.get("Retry-After")
        if retry_after and self.respect_retry_after_header:
            return min(self.parse_retry_after(retry_after), self.backoff_max)
        interval_ms = _number(response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds"))
        if interval_ms:
            return min(interval_ms / 1000, self.backoff_max)
        errors = max(1, len(self.history))
        return min(max(self.min_wait_s, self.backoff_factor * 2 ** (errors - 1)), self.backoff_max)


def _daily_limit_hit(response) -> bool:
    return response.headers.get("X-HubSpot-RateLimit-Daily-Remaining") == "0"


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _expire(window: deque[float], before: float) -> None:
    while window and window[0] <= before:
        window.popleft()
