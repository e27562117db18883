"""Requests and responses as the fake's endpoints and fault rules see them.

The HTTP layer turns each call into a ``Request`` (already routed: ``kind`` names
the endpoint), the fake answers with a ``Response``, and fault rules sit in
between as middleware: ``rule(request, call_next) -> Response``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from demo.fake_http import messages

# The real API spells the charset in upper case.
JSON_CONTENT_TYPE = "application/json;charset=UTF-8"


@dataclass
class Request(messages.Request):
    """One routed API call."""

    params: Mapping[str, str]
    # API version from the path ("59.0"), None outside /services/data/vNN.N/.
    version: str | None = None
    # Named groups of the matched route, e.g. {"object": "Opportunity"}.
    args: Mapping[str, str] = field(default_factory=dict)
    endpoint: Callable[[Request], Response] | None = field(default=None, repr=False)
    requires_auth: bool = True


@dataclass
class Response(messages.Response):
    """What the fake sends back; body already encoded."""

    content_type: str = JSON_CONTENT_TYPE


Handler = Callable[[Request], Response]
