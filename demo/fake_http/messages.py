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

import orjson

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
        return cls(status, encode_json(payload))


# Dates and dataclasses go through default=str as with json.dumps, not orjson's
# own ISO form, so a stray date in a fixture record reads as it always has.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def encode_json(payload: Any) -> bytes:
    """Compact UTF-8 JSON, as ``json.dumps(ensure_ascii=False, separators=(",", ":"))``.

    orjson writes a 2,000-record query page about ten times faster than the json
    module, and the fake's page rendering must not be what a client benchmark
    measures. Its bytes are the json module's, except the exponent of a float
    below 1e-4 (1e-05 is written 0.00001; the same number). What orjson refuses
    (non-string keys, integers beyond 64 bits) goes through the json module;
    default=str keeps stray dates or Decimals in fixture records from failing
    the whole page.
    """
    try:
        return orjson.dumps(payload, default=str, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
        return body.encode("utf-8")
