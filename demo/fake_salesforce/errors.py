"""Salesforce REST error responses, as the real API words and shapes them.

Every error body is a JSON array of ``{"message", "errorCode"}`` objects; the HTTP
status decides which exception simple-salesforce raises (400 malformed request,
401 expired session, 403 refused, 404 not found, anything else general error).
"""

from __future__ import annotations

import json


class SalesforceApiError(Exception):
    """An error the fake answers with instead of a result."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message

    def body(self) -> bytes:
        return error_body(self.error_code, self.message)


def error_body(error_code: str, message: str) -> bytes:
    """The JSON array Salesforce sends for one error."""
    return json.dumps([{"message": message, "errorCode": error_code}]).encode("utf-8")


def invalid_session() -> SalesforceApiError:
    return SalesforceApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def not_found() -> SalesforceApiError:
    return SalesforceApiError(404, "NOT_FOUND", "The requested resource does not exist")


def method_not_allowed(method: str, allowed: list[str]) -> SalesforceApiError:
    return SalesforceApiError(
        405,
        "METHOD_NOT_ALLOWED",
        f"HTTP Method '{method}' not allowed. Allowed are {','.join(sorted(allowed))}",
    )


def malformed_query(message: str) -> SalesforceApiError:
    return SalesforceApiError(400, "MALFORMED_QUERY", message)


def invalid_field(message: str) -> SalesforceApiError:
    return SalesforceApiError(400, "INVALID_FIELD", message)


def no_such_column(field: str, object_name: str) -> SalesforceApiError:
    return invalid_field(
        f"No such column '{field}' on entity '{object_name}'. If you are attempting to use "
        "a custom field, be sure to append the '__c' after the custom field name. Please "
        "reference your WSDL or the describe call for the appropriate names."
    )


def invalid_type(object_name: str) -> SalesforceApiError:
    return SalesforceApiError(
        400,
        "INVALID_TYPE",
        f"sObject type '{object_name}' is not supported. If you are attempting to use a "
        "custom object, be sure to append the '__c' after the entity name. Please reference "
        "your WSDL or the describe call for the appropriate names.",
    )


def invalid_query_locator() -> SalesforceApiError:
    return SalesforceApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")


# Default error codes for injected failures, so a bare status still gets a body
# shaped like the real API's.
DEFAULT_ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "INVALID_SESSION_ID",
    403: "REQUEST_LIMIT_EXCEEDED",
    404: "NOT_FOUND",
    429: "REQUEST_LIMIT_EXCEEDED",
    500: "UNKNOWN_EXCEPTION",
    502: "BAD_GATEWAY",
    503: "SERVER_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}
