"""Errors a Trustgap user can hit, worded for them and free of secrets.

Each names what failed and what to do. The CLI prints these without a stack
trace; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterable


class TrustgapError(Exception):
    """Base class for errors that are explained to the user."""


class ConfigurationError(TrustgapError):
    """A setting is missing or malformed (names the setting, never its value)."""


class CrmAuthError(TrustgapError):
    """The CRM rejected the credentials (expired or invalid token)."""


class CrmQuotaError(TrustgapError):
    """The CRM's API quota is exhausted; retrying would only burn more of it."""


class CrmRequestError(TrustgapError):
    """The CRM answered a request with an error that retries did not fix."""


class CrmUnavailableError(CrmRequestError):
    """The CRM could not be reached, timed out, or failed on its side, past the request retries.

    Connection refused or reset, timeouts, 5xx and rate-limit (not quota) answers,
    an answer cut off mid-body: conditions that usually pass. The nightly retries
    the whole step a little later (pipelines/retries.py); other request errors
    would only fail again.
    """


class SchemaDriftError(TrustgapError):
    """The CRM sent data whose shape no longer matches what Trustgap expects."""


class SyncFailed(CrmRequestError):
    """Some objects failed; the others landed and their progress is kept.

    ``failures`` holds each object's error, so the caller can tell a CRM outage
    (every failure a ``CrmUnavailableError``) from errors a retry cannot fix.
    """

    def __init__(self, message: str, failures: Iterable[Exception] = ()) -> None:
        super().__init__(message)
        self.failures = tuple(failures)


class Secret:
    """A credential that prints as *** everywhere (repr, str, f-strings, logs)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)
