"""Requests and responses as the fake HubSpot's endpoints and fault rules see them.

The HTTP layer turns each call into a routed ``Request`` (``kind`` names the
endpoint, ``object_type`` the CRM object it reads), the fake answers with a
``Response``, and fault rules sit in between: ``rule(request, call_next)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

JSON_CONTENT_TYPE = "application/json;charset=utf-8"


@dataclass
class Request:
    """One routed API call."""

    method: str
    path: str
    # Query parameters; repeated keys (properties=a&properties=b) keep every value.
    params: Mapping[str, Sequence[str]]
    # Header names lower-cased.
    headers: Mapping[str, str]
    body: bytes
    # Endpoint kind, the key of ``FakeHubSpot.request_counts``: owners, pipelines,
    # list, search, batch_read, associations (or not_found / method_not_allowed).
    kind: str
    object_type: str | None = None
    # Named groups of the matched route, e.g. {"object_type": "deals"}.
    args: Mapping[str, str] = field(default_factory=dict)
    endpoint: Callable[[Request], Response] | None = field(default=None, repr=False)

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.params.get(name)
        return values[-1] if values else default

    def param_list(self, name: str) -> list[str]:
        """A multi-valued parameter; comma-separated values are split as HubSpot does."""
        return [v for value in self.params.get(name, ()) for v in value.split(",") if v]

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    """What the fake sends back; body already encoded."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_CONTENT_TYPE

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> Response:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
        return cls(status, body.encode("utf-8"))


Handler = Callable[[Request], Response]
