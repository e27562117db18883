"""Salesforce settings from the environment: how to log in, and how to sync.

Three ways to authenticate, chosen by which variables are set:

- ``SALESFORCE_INSTANCE_URL`` + ``SALESFORCE_ACCESS_TOKEN``: an OAuth access token
  or session id, used as is (no login call);
- ``SALESFORCE_USERNAME`` + ``SALESFORCE_PASSWORD`` + ``SALESFORCE_SECURITY_TOKEN``:
  a SOAP username/password login;
- ``SALESFORCE_USERNAME`` + ``SALESFORCE_CONSUMER_KEY`` +
  ``SALESFORCE_PRIVATE_KEY_FILE``: the OAuth 2.0 JWT bearer flow of a connected app.

The last two log in at ``SALESFORCE_DOMAIN``: ``login`` (production, default),
``test`` (sandboxes), a My Domain such as ``acme.my``, or a URL/``host:port``
(a proxy, a local test server). Errors name the variable that is missing or
malformed, never its value.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from connectors import env as read
from connectors.errors import ConfigurationError, Secret

DEFAULT_API_VERSION = "59.0"
AUTH_VARIABLES = (
    "SALESFORCE_INSTANCE_URL",
    "SALESFORCE_ACCESS_TOKEN",
    "SALESFORCE_USERNAME",
    "SALESFORCE_CONSUMER_KEY",
)
_HOW_TO = (
    "set SALESFORCE_INSTANCE_URL + SALESFORCE_ACCESS_TOKEN, or SALESFORCE_USERNAME + "
    "SALESFORCE_PASSWORD + SALESFORCE_SECURITY_TOKEN, or SALESFORCE_USERNAME + "
    "SALESFORCE_CONSUMER_KEY + SALESFORCE_PRIVATE_KEY_FILE (see the README), "
    "or run `trustgap demo` to use the demo CRM"
)


def salesforce_configured(env: Mapping[str, str] | None = None) -> bool:
    """True when the environment names a Salesforce org to log in to."""
    env = os.environ if env is None else env
    return any(env.get(name, "").strip() for name in AUTH_VARIABLES)


@dataclass(frozen=True)
class SalesforceSettings:
    """Where and how to reach one Salesforce org, and the HTTP behaviour of every call."""

    instance_url: str = ""
    access_token: Secret | None = None
    username: str = ""
    password: Secret | None = None
    security_token: Secret | None = None
    consumer_key: str = ""
    private_key_file: str = ""
    domain: str = "login"
    api_version: str = DEFAULT_API_VERSION
    # Records per REST query page; Salesforce accepts 200-2000.
    batch_size: int = 2000
    # (connect, read) seconds for every request; retries cover connection errors,
    # 429 and 5xx with exponential backoff (backoff_factor x 2^n seconds).
    timeout: tuple[float, float] = (10.0, 120.0)
    max_retries: int = 5
    backoff_factor: float = 1.0

    @property
    def auth_method(self) -> str:
        """``token``, ``password`` or ``jwt``."""
        if self.access_token:
            return "token"
        if self.consumer_key or self.private_key_file:
            return "jwt"
        return "password"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SalesforceSettings:
        """Read SALESFORCE_* settings; raise ConfigurationError naming what is wrong."""
        env = os.environ if env is None else env

        def get(name: str) -> str:
            return env.get(name, "").strip()

        common = {
            "api_version": _api_version(get("SALESFORCE_API_VERSION") or DEFAULT_API_VERSION),
            "batch_size": read.whole_number(env, "SALESFORCE_BATCH_SIZE", 2000, low=200, high=2000),
            "timeout": (
                10.0,
                float(read.whole_number(env, "SALESFORCE_TIMEOUT_SECONDS", 120, low=1, high=3600)),
            ),
            "max_retries": read.whole_number(env, "SALESFORCE_MAX_RETRIES", 5, high=20),
            "domain": get("SALESFORCE_DOMAIN") or "login",
        }
        if get("SALESFORCE_ACCESS_TOKEN") or get("SALESFORCE_INSTANCE_URL"):
            _require(env, "SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN")
            return cls(
                instance_url=_instance_url(get("SALESFORCE_INSTANCE_URL")),
                access_token=Secret(get("SALESFORCE_ACCESS_TOKEN")),
                **common,
            )
        if get("SALESFORCE_CONSUMER_KEY") or get("SALESFORCE_PRIVATE_KEY_FILE"):
            _require(
                env, "SALESFORCE_USERNAME", "SALESFORCE_CONSUMER_KEY", "SALESFORCE_PRIVATE_KEY_FILE"
            )
            key_file = Path(get("SALESFORCE_PRIVATE_KEY_FILE")).expanduser()
            if not key_file.is_file():
                raise ConfigurationError(
                    "SALESFORCE_PRIVATE_KEY_FILE does not name a readable file: point it at "
                    "the PEM private key whose certificate the connected app holds."
                )
            return cls(
                username=get("SALESFORCE_USERNAME"),
                consumer_key=get("SALESFORCE_CONSUMER_KEY"),
                private_key_file=str(key_file),
                **common,
            )
        if get("SALESFORCE_USERNAME") or get("SALESFORCE_PASSWORD"):
            _require(env, "SALESFORCE_USERNAME", "SALESFORCE_PASSWORD")
            if "SALESFORCE_SECURITY_TOKEN" not in env:
                raise ConfigurationError(
                    "Salesforce password login needs SALESFORCE_SECURITY_TOKEN (set it empty "
                    "if the org trusts this machine's IP range)."
                )
            return cls(
                username=get("SALESFORCE_USERNAME"),
                password=Secret(env["SALESFORCE_PASSWORD"]),
                security_token=Secret(env["SALESFORCE_SECURITY_TOKEN"].strip()),
                **common,
            )
        raise ConfigurationError(f"Salesforce is not configured: {_HOW_TO}.")


# A Salesforce API name (object or field): what may be put into a SOQL query.
API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")
CUSTOM_FIELD_ENTRY = re.compile(rf"{API_NAME.pattern}\.({API_NAME.pattern}__c|\*)", re.IGNORECASE)


@dataclass(frozen=True)
class SyncOptions:
    """How objects are synced: incremental overlap, Bulk API 2.0, custom fields."""

    # Rows changed this long before the watermark are read again: SystemModstamp
    # is stamped when a transaction starts, so a long save can commit a row whose
    # stamp is older than rows already read (and the client and server clocks differ).
    overlap: dt.timedelta = dt.timedelta(minutes=10)
    # Objects with more rows than this (SELECT COUNT()) go through Bulk API 2.0;
    # 0 turns Bulk off. Bulk jobs have tens of seconds of latency, so small
    # objects are cheaper over REST.
    bulk_threshold: int = 10_000
    # Rows per Bulk result page (maxRecords): the most held in memory at once.
    bulk_page_size: int = 50_000
    bulk_poll_seconds: float = 1.0
    bulk_max_poll_seconds: float = 15.0
    bulk_timeout_seconds: float = 3600.0
    # REST pages are joined and landed (with their watermark) once they hold this
    # many rows or Arrow bytes: a landing costs a transaction whatever its size. A
    # killed sync re-reads at most this much; memory holds at most one chunk.
    rest_landing_rows: int = 50_000
    rest_landing_bytes: int = 64 * 2**20
    # Custom (__c) fields to land on objects that allow them: "all", or
    # "Object.Field__c" / "Object.*" entries. Empty: none.
    custom_fields: tuple[str, ...] = ()
    full_refresh: bool = False
    # Objects synced at once (connectors/salesforce/sync.py): one object's REST pages
    # follow each other, so several objects in flight keep the wire busy; 1 syncs
    # them one after another.
    concurrency: int = 3

    def wants_custom(self, object_name: str, field_name: str) -> bool:
        for entry in self.custom_fields:
            if entry.lower() == "all":
                return True
            obj, _, name = entry.partition(".")
            if obj.lower() == object_name.lower() and name.lower() in ("*", field_name.lower()):
                return True
        return False

    def requested_custom(self, object_name: str) -> list[str]:
        """Custom fields named explicitly for ``object_name`` (to warn when absent)."""
        names = []
        for entry in self.custom_fields:
            obj, _, name = entry.partition(".")
            if obj.lower() == object_name.lower() and name and name != "*":
                names.append(name)
        return names

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> SyncOptions:
        env = os.environ if env is None else env
        entries = tuple(
            e.strip() for e in env.get("SALESFORCE_CUSTOM_FIELDS", "").split(",") if e.strip()
        )
        for entry in entries:
            if entry.lower() != "all" and not CUSTOM_FIELD_ENTRY.fullmatch(entry):
                # Names reach SOQL: only API names (letters, digits, underscores) pass.
                raise ConfigurationError(
                    "SALESFORCE_CUSTOM_FIELDS takes `all` or entries like Opportunity.Region__c "
                    "or Task.* separated by commas (API names: letters, digits, underscores)."
                )
        values = {
            "overlap": dt.timedelta(
                minutes=read.whole_number(env, "SALESFORCE_OVERLAP_MINUTES", 10, high=1440)
            ),
            "bulk_threshold": read.whole_number(
                env, "SALESFORCE_BULK_THRESHOLD", 10_000, high=10**9
            ),
            "bulk_page_size": read.whole_number(
                env, "SALESFORCE_BULK_PAGE_SIZE", 50_000, low=1000, high=1_000_000
            ),
            "rest_landing_rows": read.whole_number(
                env, "SALESFORCE_REST_LANDING_ROWS", 50_000, low=1, high=1_000_000
            ),
            "custom_fields": entries,
            "concurrency": read.whole_number(env, "SALESFORCE_CONCURRENCY", 3, low=1, high=16),
        }
        values.update(overrides)
        return cls(**values)


def _require(env: Mapping[str, str], *names: str) -> None:
    missing = [name for name in names if not env.get(name, "").strip()]
    if missing:
        raise ConfigurationError(
            f"Salesforce is not fully configured: set {' and '.join(missing)} ({_HOW_TO})."
        )


def _instance_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigurationError(
            "SALESFORCE_INSTANCE_URL must look like https://yourorg.my.salesforce.com"
        )
    return value.rstrip("/")


def _api_version(value: str) -> str:
    text = value.removeprefix("v")
    major, _, minor = text.partition(".")
    if not major.isdigit() or not (minor or "0").isdigit() or int(major) < 47:
        raise ConfigurationError(
            "SALESFORCE_API_VERSION must be an API version like 59.0 (47.0 or later, "
            "which Bulk API 2.0 queries need)."
        )
    return f"{int(major)}.{minor or '0'}"
