"""HubSpot settings from the environment: which account, and how fast to ask it.

`HUBSPOT_ACCESS_TOKEN` (a private app's token) is the only credential;
`HUBSPOT_API_BASE` points at a proxy or a local test server; the rate limits
follow the account's tier (`HUBSPOT_API_TIER`) unless set outright. Errors name
the variable that is missing or malformed, never its value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from connectors import env as read
from connectors.errors import ConfigurationError, Secret
from connectors.hubspot.ratelimit import TIER_LIMITS, RateLimits

DEFAULT_BASE_URL = "https://api.hubapi.com"
# Measured with the S demo org at 150 ms latency (README, HubSpot performance).
DEFAULT_CONCURRENCY = 4
# The SDK's connection pools keep 5 connections per core; more workers than that
# would open and drop a connection per request.
MAX_CONCURRENCY = 8
Timeout = tuple[float, float]


def hubspot_configured(env: Mapping[str, str] | None = None) -> bool:
    """True when the environment names a HubSpot account to read."""
    return bool(read.text(os.environ if env is None else env, "HUBSPOT_ACCESS_TOKEN"))


@dataclass(frozen=True)
class HubSpotSettings:
    """Where and how to reach one HubSpot account."""

    access_token: Secret
    base_url: str = DEFAULT_BASE_URL
    rate_limits: RateLimits = field(default_factory=RateLimits)
    # (connect, read) seconds for every call.
    timeout: Timeout = (10.0, 90.0)
    retries: int = 6
    # Shortest wait after a 429 that names no interval; tests shorten it.
    min_retry_wait_s: float = 1.0
    # Objects synced at once (each reads its next pages while its last chunk lands):
    # one request at a time, a 150 ms round trip caps a sync at ~6 requests/s,
    # under Starter's 10.
    concurrency: int = DEFAULT_CONCURRENCY

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HubSpotSettings:
        """Read HUBSPOT_* settings; raise ConfigurationError naming what is wrong."""
        env = os.environ if env is None else env
        token = read.text(env, "HUBSPOT_ACCESS_TOKEN")
        if not token:
            raise ConfigurationError(
                "HubSpot is not configured: set HUBSPOT_ACCESS_TOKEN to a private app's "
                "access token (see the README's HubSpot section for the scopes it needs), "
                "or run `trustgap demo --source hubspot` to use the demo CRM."
            )
        base_url = read.url(env, "HUBSPOT_API_BASE", DEFAULT_BASE_URL, example=DEFAULT_BASE_URL)
        tier = read.choice(env, "HUBSPOT_API_TIER", "starter", tuple(TIER_LIMITS))
        return cls(
            access_token=Secret(token),
            base_url=base_url,
            rate_limits=RateLimits(
                requests=read.whole_number(env, "HUBSPOT_RATE_LIMIT", TIER_LIMITS[tier], low=1),
                search_per_second=read.whole_number(
                    env, "HUBSPOT_SEARCH_RATE_LIMIT", 4, low=1, high=1000
                ),
            ),
            concurrency=read.whole_number(
                env, "HUBSPOT_CONCURRENCY", DEFAULT_CONCURRENCY, low=1, high=MAX_CONCURRENCY
            ),
        )
