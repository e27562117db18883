"""Logging in to Salesforce: access token, username/password, or JWT bearer.

simple-salesforce does the logins (SOAP ``login`` for username/password, the
OAuth 2.0 token endpoint for JWT bearer) through our session, and logs in again
by itself when a session expires mid-run. Its login URLs are hard-coded as
``https://{domain}.salesforce.com``; a ``SALESFORCE_DOMAIN`` that is a URL or
``host:port`` is handed to it as a placeholder name that the session maps back
to the real host. Failures become ``CrmAuthError`` naming the settings to check;
no message carries a password, token or key.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import jwt
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed

from connectors.errors import ConfigurationError, CrmAuthError, CrmUnavailableError
from connectors.salesforce.session import SalesforceSession, sdk_netloc
from connectors.salesforce.settings import SalesforceSettings

# What to check when a login is refused, per method.
_CHECK = {
    "password": "SALESFORCE_USERNAME, SALESFORCE_PASSWORD and SALESFORCE_SECURITY_TOKEN "
    "(a new security token is emailed whenever the password changes)",
    "jwt": "SALESFORCE_USERNAME, SALESFORCE_CONSUMER_KEY and SALESFORCE_PRIVATE_KEY_FILE "
    "(the connected app must hold the key's certificate and be pre-authorized for the user)",
}


def login_domain(domain: str) -> tuple[str, tuple[str, str] | None]:
    """The domain to give simple-salesforce, and the (scheme, host:port) it stands for.

    ``login``, ``test`` and My Domain prefixes (``acme.my``) are Salesforce's own
    and pass through. A URL or ``host:port`` becomes its bare host name, which the
    SDK turns into ``https://{host}.salesforce.com`` and the session maps back.
    """
    text = domain.strip().rstrip("/")
    if "://" not in text and ":" not in text:
        return text.removesuffix(".salesforce.com"), None
    parts = urlsplit(text if "://" in text else f"https://{text}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            "SALESFORCE_DOMAIN must be login, test, a My Domain such as acme.my, "
            "or a URL such as https://login.example.com:8443"
        )
    return parts.hostname, (parts.scheme, parts.netloc)


def login(settings: SalesforceSettings, session: SalesforceSession) -> Salesforce:
    """A logged-in simple-salesforce client; the token method makes no call."""
    if settings.auth_method == "token":
        return Salesforce(
            instance_url=settings.instance_url,
            session_id=settings.access_token.reveal(),
            version=settings.api_version,
            session=session,
        )
    domain, real_host = login_domain(settings.domain)
    if real_host is not None:
        session.adapter.add_rewrite(f"{domain}.salesforce.com", *real_host)
    if settings.auth_method == "jwt":
        credentials = {
            "username": settings.username,
            "consumer_key": settings.consumer_key,
            "privatekey": _private_key(settings.private_key_file),
        }
    else:
        credentials = {
            "username": settings.username,
            "password": settings.password.reveal(),
            "security_token": settings.security_token.reveal(),
        }
    try:
        sf = Salesforce(**credentials, domain=domain, version=settings.api_version, session=session)
    except SalesforceAuthenticationFailed as exc:
        raise CrmAuthError(
            f"Salesforce refused the {settings.auth_method} login at {settings.domain} "
            f"({_reason(exc)}). Check {_CHECK[settings.auth_method]}, and SALESFORCE_DOMAIN "
            "(login for production, test for sandboxes, or your My Domain)."
        ) from None
    except requests.RequestException as exc:
        raise CrmUnavailableError(
            f"Could not log in to Salesforce at SALESFORCE_DOMAIN={settings.domain} "
            f"({type(exc).__name__}); check the domain and the network."
        ) from None
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        if settings.auth_method != "jwt":
            raise
        raise ConfigurationError(
            "SALESFORCE_PRIVATE_KEY_FILE is not a usable RSA private key for signing the "
            f"JWT assertion ({type(exc).__name__})."
        ) from None
    if real_host is not None and real_host[0] == "http":
        # The org answered over plain http; keep talking to its instance that way.
        session.adapter.add_rewrite(sdk_netloc(sf.sf_instance), "http", sf.sf_instance)
    return sf


def _private_key(path: str) -> str:
    try:
        key = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise ConfigurationError(
            "SALESFORCE_PRIVATE_KEY_FILE could not be read as a PEM text file."
        ) from None
    if "PRIVATE KEY-----" not in key:
        raise ConfigurationError(
            "SALESFORCE_PRIVATE_KEY_FILE is not a PEM private key (-----BEGIN PRIVATE KEY-----)."
        )
    return key


def _reason(exc: SalesforceAuthenticationFailed) -> str:
    # Salesforce's own wording (INVALID_LOGIN, invalid_grant: ...) never echoes
    # the credentials; cap it anyway.
    code = exc.code if exc.code is not None else "refused"
    message = (exc.auth_message or "").strip()
    return f"{code}: {message}"[:300] if message else str(code)
