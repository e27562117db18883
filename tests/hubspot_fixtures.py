"""Small HubSpot portals for the fake, and a connector pointed at it (tests only)."""

from __future__ import annotations

import datetime as dt

from connectors.errors import Secret
from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.ratelimit import RateLimits
from connectors.hubspot.settings import HubSpotSettings
from demo.fake_hubspot import FakeHubSpot, HistoryEntry, Portal, format_time, owner, pipeline

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
LOADED_AT = dt.datetime(2026, 11, 27, 2, tzinfo=dt.UTC)
DEAL_BASE = 10_000
ENGAGEMENT_BASE = 500_000
FAST = RateLimits(requests=100_000, search_per_second=10_000)


def portal(deals: int = 0, *, calls: int = 0, notes: int = 0, modified_ms: int = T0) -> Portal:
    """Two owners, the demo pipeline, `deals` deals with stage history, and engagements
    (call i and note i on deal i % deals)."""
    p = Portal()
    stamp = format_time(T0 - 86_400_000)
    p.owners = [
        owner(1, email="a@x.example", first_name="Ada", last_name="A", user_id=11,
              created_at=stamp, teams=[("7", "East", True)]),
        owner(2, email="b@x.example", first_name="Bo", last_name="B", user_id=12,
              created_at=stamp, archived=True),
    ]  # fmt: skip
    p.pipelines["deals"] = [
        pipeline(
            "default",
            "Sales",
            [("open", "Open", False, 0.2), ("won", "Won", True, 1.0), ("lost", "Lost", True, 0.0)],
            created_at=stamp,
        )
    ]
    for i in range(deals):
        p.add(
            "deals",
            DEAL_BASE + i,
            {
                "dealname": f"Deal {i}",
                "pipeline": "default",
                "dealstage": "open",
                "amount": str(1000 + i),
                "hubspot_owner_id": "1",
                "hs_lastmodifieddate": format_time(modified_ms),
            },
            created_at=format_time(T0 - 3_600_000),
            history={
                "dealstage": [HistoryEntry("open", T0 - 3_600_000, "CRM_UI", "userId:11", 11)]
            },
        )
    for kind, count, offset in (("calls", calls, 0), ("notes", notes, 100_000)):
        for i in range(count):
            engagement = ENGAGEMENT_BASE + offset + i
            p.add(
                kind,
                engagement,
                {"hs_timestamp": format_time(T0), "hubspot_owner_id": "1",
                 "hs_lastmodifieddate": format_time(modified_ms)},
                created_at=format_time(T0 - 60_000),
            )  # fmt: skip
            if deals:
                p.associate(kind, engagement, "deals", DEAL_BASE + i % deals)
    return p


def api(fake: FakeHubSpot, *, limits: RateLimits = FAST, token: str = TOKEN, retries: int = 4):
    """The real client (hubspot-api-client underneath) pointed at `fake`."""
    settings = HubSpotSettings(
        Secret(token), fake.base_url, limits, retries=retries, min_retry_wait_s=0.01
    )
    return HubSpotApi(settings)
