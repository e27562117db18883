"""Reading a HubSpot request: query parameters, JSON bodies and opaque paging cursors.

Bad input is answered as HubSpot answers it: a 400 VALIDATION_ERROR.
"""

from __future__ import annotations

import base64

from demo.fake_hubspot.errors import validation_error
from demo.fake_hubspot.messages import Request


def json_body(request: Request) -> dict:
    try:
        body = request.json()
    except ValueError:
        raise validation_error("Invalid input JSON on line 1, column 1.") from None
    if not isinstance(body, dict):
        raise validation_error("Invalid input JSON: expected an object.")
    return body


def int_param(request: Request, name: str, default: int) -> int:
    value = request.param(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise validation_error(f"{name} must be an integer, got {value!r}.") from None


def bool_param(request: Request, name: str) -> bool:
    return (request.param(name) or "false").lower() == "true"


def encode_after(position: int) -> str:
    """An opaque paging cursor, as HubSpot's are (clients must not parse them)."""
    return base64.urlsafe_b64encode(f"fake:{position}".encode()).decode().rstrip("=")


def decode_after(token: str | None) -> int | None:
    if not token:
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, position = text.partition(":")
        if prefix != "fake":
            raise ValueError(text)
        return int(position)
    except (ValueError, UnicodeDecodeError):
        raise validation_error(f"Invalid paging cursor after={token!r}.") from None


def next_page(request: Request, after: str) -> dict:
    host = request.header("host") or "127.0.0.1"
    return {"next": {"after": after, "link": f"http://{host}{request.path}?after={after}"}}
