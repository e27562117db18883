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

from demo.fake_http import messages
from demo.fake_http.messages import JSON_CONTENT_TYPE, Response

__all__ = ["JSON_CONTENT_TYPE", "Handler", "Request", "Response"]


@dataclass
class Request(messages.Request):
    """One routed API call.

    ``kind`` is owners, pipelines, list, get, search, batch_read or associations
    (or not_found / method_not_allowed).
    """

    # Query parameters; repeated keys (properties=a&properties=b) keep every value.
    params: Mapping[str, Sequence[str]]
    object_type: str | None = None
    # Named groups of the matched route, e.g. {"object_type": "deals"}.
    args: Mapping[str, str] = field(default_factory=dict)
    endpoint: Callable[[Request], Response] | None = field(default=None, repr=False)

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.params.get(name)
        return values[-1] if values else default

    def param_list(self, name: str) -> list[str]:
        """A multi-valued parameter; comma-separated values are split as HubSpot does."""
        return [v for value in self.params.get(name, ()) for v in value.split(",") if v]

    def json(self) -> Any:
        return json.loads(self.body or b"null")


Handler = Callable[[Request], Response]
