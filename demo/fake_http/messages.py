"""Requests and responses as a fake's endpoints and fault rules see them.

The HTTP layer turns each call into a routed ``Request`` (``kind`` names the
endpoint), the fake answers with a ``Response``, and fault rules sit in between
as middleware: ``rule(request, call_next) -> Response``. Each fake subclasses
``Request`` with the fields its routes add.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

JSON_CONTENT_TYPE = "application/json;charset=utf-8"


@dataclass
class Request:
    """One routed API call."""

    method: str
    path: str
    params: Mapping[str, Any]
    # Header names lower-cased.
    headers: Mapping[str, str]
    body: bytes
    # Endpoint kind, the key of the fake's ``request_counts``.
    kind: str

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    """What the fake sends back; body already encoded."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_CONTENT_TYPE

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> Self:
        # Encoded once per response; default=str keeps stray dates or Decimals in
        # fixture records from failing the whole page.
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
        return cls(status, body.encode("utf-8"))
