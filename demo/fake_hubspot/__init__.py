"""A local fake HubSpot CRM API for tests and the embedded demo org.

``FakeHubSpot(portal)`` serves a ``Portal`` over HTTP in the real wire format, so
the real ``hubspot-api-client`` works against it (point its ``host`` at
``fake.base_url``).
"""

from demo.fake_hubspot.errors import HubSpotApiError
from demo.fake_hubspot.faults import FailNext, Fault, RateLimitStorm
from demo.fake_hubspot.messages import Request, Response
from demo.fake_hubspot.portal import Portal, owner, pipeline
from demo.fake_hubspot.ratelimit import UNLIMITED, RateLimitPolicy
from demo.fake_hubspot.records import HistoryEntry, format_time
from demo.fake_hubspot.server import FakeHubSpot

__all__ = [
    "UNLIMITED",
    "FailNext",
    "FakeHubSpot",
    "Fault",
    "HistoryEntry",
    "HubSpotApiError",
    "Portal",
    "RateLimitPolicy",
    "RateLimitStorm",
    "Request",
    "Response",
    "format_time",
    "owner",
    "pipeline",
]
