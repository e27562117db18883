"""Salesforce connection settings and the simple-salesforce client built from them.

Credentials come only from the environment. simple-salesforce makes no login
call when given an instance URL and a session token, and all its calls go
through the `requests.Session` we hand it, which carries timeouts, retries and
the scheme fix for `http://` instance URLs (see `session.py`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from simple_salesforce import Salesforce

from connectors.errors import ConfigurationError, Secret
from connectors.salesforce.session import build_session

DEFAULT_API_VERSION = "59.0"


@dataclass(frozen=True)
class SalesforceSettings:
    """Where and how to reach one Salesforce org."""

    instance_url: str
    access_token: Secret
    api_version: str = DEFAULT_API_VERSION
    # Records per query page; Salesforce accepts 200-2000.
    batch_size: int = 2000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SalesforceSettings:
        """Read SALESFORCE_* settings; raise ConfigurationError naming what is missing."""
        env = os.environ if env is None else env
        instance_url = env.get("SALESFORCE_INSTANCE_URL", "").strip()
        token = env.get("SALESFORCE_ACCESS_TOKEN", "").strip()
        missing = [
            name
            for name, value in (
                ("SALESFORCE_INSTANCE_URL", instance_url),
                ("SALESFORCE_ACCESS_TOKEN", token),
            )
            if not value
        ]
        if missing:
            raise ConfigurationError(
                f"Salesforce is not configured: set {' and '.join(missing)} "
                "(instance URL such as https://yourorg.my.salesforce.com and an OAuth "
                "access or session token), or run `trustgap demo` to use the demo CRM."
            )
        parsed = urlparse(instance_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigurationError(
                "SALESFORCE_INSTANCE_URL must look like https://yourorg.my.salesforce.com"
            )
        batch_size = env.get("SALESFORCE_BATCH_SIZE", "2000")
        if not batch_size.isdigit() or not 200 <= int(batch_size) <= 2000:
            raise ConfigurationError(
                "SALESFORCE_BATCH_SIZE must be a whole number from 200 to 2000"
            )
        return cls(
            instance_url=instance_url.rstrip("/"),
            access_token=Secret(token),
            api_version=env.get("SALESFORCE_API_VERSION", DEFAULT_API_VERSION),
            batch_size=int(batch_size),
        )


def connect(settings: SalesforceSettings, *, retries: int | None = None) -> Salesforce:
    """A simple-salesforce client for `settings`; makes no network call.

    `retries` overrides the session's default retry budget (0 disables retries).
    """
    session = build_session(settings.instance_url, retries=retries)
    session.headers["Sforce-Query-Options"] = f"batchSize={settings.batch_size}"
    return Salesforce(
        instance_url=settings.instance_url,
        session_id=settings.access_token.reveal(),
        version=settings.api_version,
        session=session,
    )
