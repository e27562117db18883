"""Staying under HubSpot's rate limits instead of bouncing off them.

HubSpot counts requests in a rolling ten-second window per private app (100 on
Free/Starter, 190 on Professional/Enterprise) and the search endpoints per
second (about 4-5 per account); a 429 names the policy that was hit. Retrying
429s works, but a client that paces itself never burns requests (and the
account's daily quota) on refusals. So every request first takes a slot from
`RequestLimiter`, which keeps a little headroom under both windows and adapts to
the `X-HubSpot-RateLimit-*` headers the API sends back.

The limiter is shared by the sync's concurrent workers, so its window must count
as HubSpot does, not as we send. HubSpot counts a request when it arrives, which
is some time after we send it and before its answer is back; with several
requests in flight and uneven latency, arrivals bunch up in a way send times do
not show. So a request holds its slot from when it is sent until ten seconds
after its answer came back (`release`): whatever the latency, every request
HubSpot can still count in its window is counted in ours, and a budget of N
never lets N + 1 reach HubSpot's window (tests/test_hubspot_concurrency.py).

When the window is full, the workers' requests queue for its next free slot, and
a free slot goes to the waiting thread with the most work left (`prioritise`:
an object's list pages still to read). One object's pages are a chain (each
needs the previous page's cursor), so taking turns would stretch the largest
object's chain by the number of workers and leave it running alone at the end;
served first, it runs at the latency's pace while the others fill the rest of
the window.

`HubSpotRetry` is the urllib3 retry policy the SDK is given: it retries POST
(search, batch reads) as well as GET, waits out a 429 the way its headers say
(Retry-After, else the window's interval), never retries the daily limit, and
takes a limiter slot before every retry so retries are paced too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

SEARCH = "search"
# Requests per ten-second window by HubSpot product tier.
TIER_LIMITS = {"free": 100, "starter": 100, "professional": 190, "enterprise": 190}
# Share of each window the limiter uses. The window is counted from answers, so
# latency cannot push us over (module docstring); what is left is room for the
# odd request another app of the account sends. 0.9 capped a sync at 1.11x the
# rate-limit floor; 0.95 costs 5 of Starter's 100 requests per 10 s.
HEADROOM = 0.95
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


class _Slot:
    """One request in the window: held from its sending until `interval` after its answer."""

    __slots__ = ("answered", "sent")

    def __init__(self, sent: float) -> None:
        self.sent = sent
        self.answered: float | None = None


class RequestLimiter:
    """A rolling-window pacer: `acquire(kind)` blocks until a request may be sent.

    Thread-safe: the sync's workers share one. Each thread's slots stay in flight
    until it calls `release()` with the answer in hand (`HubSpotApi._call` does).
    """

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
        # Sum of send-to-answer times, and answers: how long a slot outlives its window.
        self.held_s = 0.0
        self.answers = 0
        self._sent: list[_Slot] = []
        self._searches: list[_Slot] = []
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self._held = threading.local()
        # Threads waiting for a request slot, by thread id: their priority.
        self._waiting: dict[int, int] = {}

    def prioritise(self, priority: int) -> None:
        """This thread's claim on the next free slot: higher goes first (0: none)."""
        self._held.priority = priority

    def acquire(self, kind: str = "api") -> None:
        """Take one request slot (searches also take one of the per-second slots)."""
        me = threading.get_ident()
        priority = getattr(self._held, "priority", 0)
        try:
            while True:
                with self._lock:
                    now = self.clock()
                    self._sent = _expire(self._sent, now - self.interval_s)
                    self._searches = _expire(self._searches, now - 1.0)
                    wait = self._paused_until - now
                    if len(self._sent) >= self.budget:
                        wait = max(wait, _next_free(self._sent, self.interval_s, now))
                    if kind == SEARCH and len(self._searches) >= self.limits.search_budget:
                        wait = max(wait, _next_free(self._searches, 1.0, now))
                    if wait <= 0 and kind != SEARCH and self._outranked(me, priority):
                        # The slot is the waiting thread's with more pages left.
                        wait = _YIELD_S
                    if wait <= 0:
                        self._waiting.pop(me, None)
                        self._take(now, kind)
                        return
                    if kind != SEARCH:
                        # Searches have a window of their own: nobody steps back for them.
                        self._waiting[me] = priority
                    self.waited_s += wait
                self.sleep(wait)
        finally:
            # Left without a slot (an error, an interrupt while sleeping): stop waiting.
            if me in self._waiting:
                with self._lock:
                    self._waiting.pop(me, None)

    def _outranked(self, me: int, priority: int) -> bool:
        return any(p > priority for thread, p in self._waiting.items() if thread != me)

    def _take(self, now: float, kind: str) -> None:
        slot = _Slot(now)
        self._sent.append(slot)
        if kind == SEARCH:
            self._searches.append(slot)
        held = getattr(self._held, "slots", None)
        if held is None:
            held = self._held.slots = []
        held.append(slot)

    def release(self) -> None:
        """The answer to this thread's request (and any retries of it) is back."""
        held = getattr(self._held, "slots", None)
        if not held:
            return
        with self._lock:
            now = self.clock()
            for slot in held:
                slot.answered = now
                self.held_s += now - slot.sent
                self.answers += 1
        held.clear()

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
        if self.limiter is not None:
            # The attempt before is over (answered, or failed): HubSpot counted it by
            # now, if at all. Freeing its slot also keeps a thread from waiting on a
            # slot only it holds (a budget smaller than the retries in flight).
            self.limiter.release()
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


def _expire(window: list[_Slot], before: float) -> list[_Slot]:
    """The slots still in the window: in flight, or answered after `before`."""
    if all(s.answered is None or s.answered > before for s in window):
        return window
    return [s for s in window if s.answered is None or s.answered > before]


# How long to look again when every slot of a full window is still in flight.
_IN_FLIGHT_POLL_S = 0.01
# How long a thread steps back from a free slot that a thread with more work left waits for.
_YIELD_S = 0.002


def _next_free(window: list[_Slot], interval_s: float, now: float) -> float:
    """Seconds until the first answered slot leaves the window."""
    answered = [s.answered for s in window if s.answered is not None]
    return min(answered) + interval_s - now if answered else _IN_FLIGHT_POLL_S
