"""HubSpot API error responses, shaped and worded like the real API's.

Every error body is a JSON object with ``status: "error"``, a ``message``, a
``correlationId`` and a ``category``; 429s add ``errorType: RATE_LIMIT`` and the
``policyName`` of the limit that was hit.
"""

from __future__ import annotations

import json
import uuid
from typing import Any


class HubSpotApiError(Exception):
    """An error the fake answers with instead of a result."""

    def __init__(
        self,
        status: int,
        category: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(f"{status} {category}: {message}")
        self.status = status
        self.category = category
        self.message = message
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self) -> bytes:
        return error_body(self.category, self.message, **self.extra)


def error_body(category: str, message: str, **extra: Any) -> bytes:
    payload = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }
    return json.dumps(payload).encode("utf-8")


def invalid_authentication() -> HubSpotApiError:
    return HubSpotApiError(
        401,
        "INVALID_AUTHENTICATION",
        "Authentication credentials not found. This API supports OAuth 2.0 authentication "
        "and you can find more details at https://developers.hubspot.com/docs/methods/auth/"
        "oauth-overview",
    )


def missing_scopes(scopes: list[str]) -> HubSpotApiError:
    return HubSpotApiError(
        403,
        "MISSING_SCOPES",
        "This app hasn't been granted all required scopes to make this call. Read more "
        "about required scopes here: https://developers.hubspot.com/scopes.",
        errors=[
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredScopes": scopes},
            }
        ],
    )


def not_found(message: str = "Resource not found") -> HubSpotApiError:
    return HubSpotApiError(404, "OBJECT_NOT_FOUND", message)


def method_not_allowed(method: str) -> HubSpotApiError:
    return HubSpotApiError(
        405, "VALIDATION_ERROR", f"HTTP {method} is not supported by this route."
    )


def validation_error(message: str) -> HubSpotApiError:
    return HubSpotApiError(400, "VALIDATION_ERROR", message)


# policyName -> (message, whether HubSpot sends the X-HubSpot-RateLimit-* headers)
RATE_LIMIT_POLICIES = {
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "SECONDLY": "You have reached your secondly limit.",
    "DAILY": "You have reached your daily limit.",
}


def rate_limited(
    policy: str = "TEN_SECONDLY_ROLLING", headers: dict[str, str] | None = None
) -> HubSpotApiError:
    return HubSpotApiError(
        429,
        "RATE_LIMITS",
        RATE_LIMIT_POLICIES[policy],
        headers=headers,
        errorType="RATE_LIMIT",
        policyName=policy,
        groupName="publicapi:private-app:trustgap-fake",
    )
