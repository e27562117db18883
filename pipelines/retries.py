"""Step retries: a nightly step that failed for a passing reason runs again, a little later.

The connectors already retry single requests (HTTP 429/5xx and connection errors,
with backoff). This is the level above: when a CRM outage outlasts those retries,
or DuckDB cannot open its file for a moment, Dagster runs the whole step again
(``RetryRequested``), up to ``TRUSTGAP_STEP_RETRIES`` times (default 2), waiting
``TRUSTGAP_RETRY_WAIT_SECONDS`` (default 60) before the first retry and twice as
long before each further one. Incremental cursors are committed with every page
(connectors/landing.py), so a retried extract resumes where the failed attempt
stopped instead of reading everything again.

Never retried, because a retry cannot help or costs what is scarce: refused
credentials (``CrmAuthError``), an exhausted API quota (``CrmQuotaError``),
configuration errors, schema drift, failed data checks, request errors the
CRM would answer the same way again (a page that is not JSON among them), a
damaged working file, and a full disk or read-only folder. A step that is up for retry emits
STEP_UP_FOR_RETRY, not STEP_FAILURE, so the run's failure report (pipelines/alerts.py)
only records and posts the attempt that finally failed.

Runs whose process dies or never starts are retried by Dagster's run retries,
configured in the instance's dagster.yaml (pipelines/project.py).
"""

from __future__ import annotations

import errno
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import dagster as dg
import duckdb

from connectors.errors import CrmUnavailableError, SyncFailed
from pipelines.settings import Settings
from pipelines.working_file import is_corrupt_file_error

# What passes by itself: the CRM unreachable, slow or failing on its side after the
# request retries, and DuckDB I/O errors (a file lock held for a moment, a
# filesystem hiccup). OS-level connection errors and timeouts are the same
# conditions arriving untranslated.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    CrmUnavailableError,
    duckdb.IOException,
    ConnectionError,
    TimeoutError,
)
# Longest wait before one retry, however many retries are configured.
MAX_WAIT_SECONDS = 3600.0


def is_transient(error: BaseException) -> bool:
    """True when running the step again later may well succeed.

    A ``SyncFailed`` (some objects failed, the others landed) counts as transient
    only when every one of its failures is: a retry would not fix the others, and
    the run fails anyway.
    """
    if isinstance(error, SyncFailed):
        return bool(error.failures) and all(is_transient(f) for f in error.failures)
    if is_corrupt_file_error(error) or is_storage_refusal(error):
        # A damaged file stays damaged (working_file.check_working_file), and a full
        # disk or a read-only folder stays so until someone acts: minutes of
        # retries would only delay saying so.
        return False
    return isinstance(error, TRANSIENT_ERRORS)


_STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}
_STORAGE_MESSAGES = ("no space left on device", "disk quota exceeded", "read-only file system")


def is_storage_refusal(error: BaseException) -> bool:
    """A full disk, an exhausted quota or a read-only filesystem (OS or DuckDB error)."""
    if isinstance(error, OSError) and error.errno in _STORAGE_ERRNOS:
        return True
    text = str(error).lower()
    return isinstance(error, duckdb.Error) and any(m in text for m in _STORAGE_MESSAGES)


@dataclass(frozen=True)
class StepRetryPolicy:
    """How often, and after how long, a transiently failed step runs again."""

    retries: int = 2
    wait_seconds: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StepRetryPolicy:
        """TRUSTGAP_STEP_RETRIES and TRUSTGAP_RETRY_WAIT_SECONDS, or the defaults."""
        settings = Settings.from_env(env)
        return cls(retries=settings.step_retries, wait_seconds=settings.retry_wait_seconds)

    def wait_before(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1 is the first retry)."""
        return min(self.wait_seconds * 2 ** (retry - 1), MAX_WAIT_SECONDS)


@contextmanager
def retry_transient_failures(
    context: dg.AssetExecutionContext, policy: StepRetryPolicy | None = None
) -> Iterator[None]:
    """Turn a transient failure of the enclosed step body into a Dagster step retry.

    Other errors pass unchanged, and so does the last attempt's error, so the
    step fails with the user-facing message rather than "max retries exceeded".
    """
    policy = policy or StepRetryPolicy.from_env()
    try:
        yield
    except Exception as exc:
        if not is_transient(exc):
            raise
        done = context.retry_number
        if done >= policy.retries:
            if policy.retries:
                context.log.error(
                    f"Still failing after {done + 1} attempts; giving up on this step."
                )
            raise
        wait = policy.wait_before(done + 1)
        context.log.warning(
            f"Transient failure, the step runs again in {wait:g} s (retry {done + 1} of "
            f"{policy.retries}; work already committed is kept): {str(exc)[:500]}"
        )
        raise dg.RetryRequested(max_retries=policy.retries, seconds_to_wait=wait) from exc
