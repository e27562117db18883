"""The fake's rate limits: HubSpot's rolling ten-second window, the search
endpoints' per-second limit and an optional daily quota, plus a record of every
request's arrival so tests can read the peak rate a client really produced.

Windows are configurable so tests can run the same logic on a 1-second window
instead of waiting out real 10-second ones.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass

from demo.fake_hubspot.errors import HubSpotApiError, rate_limited

SEARCH_KIND = "search"


@dataclass(frozen=True)
class RateLimitPolicy:
    """What the fake enforces; None switches a limit off."""

    # TEN_SECONDLY_ROLLING: Free/Starter 100, Pro/Enterprise 190 per 10 s.
    max_requests: int | None = 190
    interval_s: float = 10.0
    # SECONDLY on the search endpoints (about 5 per second per account).
    search_per_second: int | None = 5
    daily_limit: int | None = None


UNLIMITED = RateLimitPolicy(max_requests=None, search_per_second=None)


class RateLimiter:
    """Admits or refuses each request and remembers when every request arrived."""

    def __init__(self, policy: RateLimitPolicy, clock: Callable[[], float] = time.monotonic):
        self.policy = policy
        self.clock = clock
        self._lock = threading.Lock()
        self._window: deque[float] = deque()
        self._search_window: deque[float] = deque()
        self._daily = 0
        self.arrivals: list[tuple[float, str]] = []
        self.refused: dict[str, int] = {}

    def admit(self, kind: str) -> dict[str, str]:
        """Count one request; return the rate-limit headers or raise the 429."""
        policy = self.policy
        with self._lock:
            now = self.clock()
            self.arrivals.append((now, kind))
            _expire(self._window, now - policy.interval_s)
            _expire(self._search_window, now - 1.0)
            if policy.daily_limit is not None and self._daily >= policy.daily_limit:
                self._refuse("DAILY")
                raise rate_limited("DAILY", {"X-HubSpot-RateLimit-Daily-Remaining": "0"})
            if policy.max_requests is not None and len(self._window) >= policy.max_requests:
                self._refuse("TEN_SECONDLY_ROLLING")
                raise rate_limited("TEN_SECONDLY_ROLLING", self._headers(0))
            if (
                kind == SEARCH_KIND
                and policy.search_per_second is not None
                and len(self._search_window) >= policy.search_per_second
            ):
                # Search 429s come without rate-limit headers, as HubSpot's do.
                self._refuse("SECONDLY")
                raise rate_limited("SECONDLY")
            self._window.append(now)
            if kind == SEARCH_KIND:
                self._search_window.append(now)
            self._daily += 1
            if kind == SEARCH_KIND or policy.max_requests is None:
                return {}
            return self._headers(policy.max_requests - len(self._window))

    def _refuse(self, policy_name: str) -> None:
        self.refused[policy_name] = self.refused.get(policy_name, 0) + 1

    def _headers(self, remaining: int) -> dict[str, str]:
        headers = {
            "X-HubSpot-RateLimit-Max": str(self.policy.max_requests),
            "X-HubSpot-RateLimit-Remaining": str(max(remaining, 0)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.policy.interval_s * 1000)),
        }
        if self.policy.daily_limit is not None:
            headers["X-HubSpot-RateLimit-Daily"] = str(self.policy.daily_limit)
            headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(
                max(self.policy.daily_limit - self._daily, 0)
            )
        return headers

    def peak(self, window_s: float, kinds: Collection[str] | None = None) -> int:
        """The most requests (of ``kinds``, default all) that arrived in any window."""
        with self._lock:
            times = sorted(t for t, kind in self.arrivals if kinds is None or kind in kinds)
        best = 0
        for i, start in enumerate(times):
            best = max(best, bisect.bisect_left(times, start + window_s, lo=i) - i)
        return best

    def reset(self) -> None:
        with self._lock:
            self.arrivals.clear()
            self.refused.clear()


def _expire(window: deque[float], before: float) -> None:
    while window and window[0] <= before:
        window.popleft()


__all__ = ["UNLIMITED", "HubSpotApiError", "RateLimitPolicy", "RateLimiter"]
