"""Connect to one Salesforce org: the session, the login, the API wrapper.

``connect(settings)`` builds the ``requests`` session (timeouts, retries, scheme
and login-host rewrites, server clock), logs in with the configured method
(``auth.py``) and returns a ``SalesforceApi`` through which every call goes.
"""

from __future__ import annotations

from dataclasses import dataclass

from urllib3.util.retry import Retry

from connectors.salesforce.api import SalesforceApi
from connectors.salesforce.auth import login
from connectors.salesforce.session import build_session, default_retry
from connectors.salesforce.settings import DEFAULT_API_VERSION, SalesforceSettings, SyncOptions

__all__ = ["DEFAULT_API_VERSION", "SalesforceConnection", "SalesforceSettings", "connect"]


def connect(settings: SalesforceSettings, *, retries: Retry | int | None = None) -> SalesforceApi:
    """A logged-in ``SalesforceApi`` for ``settings``.

    `retries` overrides the settings' retry budget (0 disables retries). The
    access-token method makes no network call here; the others log in.
    """
    if retries is None:
        retries = default_retry(settings.max_retries, settings.backoff_factor)
    session = build_session(
        settings.instance_url or None, timeout=settings.timeout, retries=retries
    )
    session.headers["Sforce-Query-Options"] = f"batchSize={settings.batch_size}"
    return SalesforceApi(login(settings, session), settings.auth_method)


@dataclass(frozen=True)
class SalesforceConnection:
    """What a sync needs from one org: the API, and how to sync its objects."""

    api: SalesforceApi
    options: SyncOptions
