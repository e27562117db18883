"""What happens when a nightly run fails: one run-ledger line and one webhook post.

Set TRUSTGAP_WEBHOOK_URL (Slack/Teams incoming webhook or any JSON endpoint) to
be told about failures. The payload carries the run id, the failed steps and
their typed, secret-free error messages; never credentials or row data.

Failures are reported per run, not per step: the warehouse resource, which every
nightly step uses and which lives as long as the run, reports once when it is
torn down (every failed step then in the event log), or at once when the run
could not start at all (warehouse busy, folder not writable), when no step runs.
"""

from __future__ import annotations

import logging
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg

from connectors.errors import TrustgapError
from pipelines import run_ledger
from pipelines.settings import Settings

log = logging.getLogger(__name__)

# The "step" a failure before any step ran is recorded under.
RUN_START = "run start"


@dataclass(frozen=True)
class Failure:
    step: str
    message: str


def failed_steps(instance: dg.DagsterInstance, run_id: str) -> list[Failure]:
    """Every step of `run_id` that failed for good, with its innermost error, in order."""
    records = instance.get_records_for_run(
        run_id=run_id, of_type=dg.DagsterEventType.STEP_FAILURE, limit=10_000
    ).records
    failures = []
    for record in records:
        event = record.event_log_entry.dagster_event
        error = event.event_specific_data.error
        message = innermost_message(error) if error else "step failed"
        failures.append(Failure(event.step_key, message))
    return failures


def innermost_message(error) -> str:
    """`Class: message` of the innermost error of a Dagster SerializableErrorInfo."""
    # Dagster wraps user errors; the innermost one is the user-facing message.
    while error.cause is not None:
        error = error.cause
    text = error.message.strip()
    # format_exception_only says "module.Class: message"; the class name is enough.
    prefix = error.cls_name + ": "
    text = text.split(prefix, 1)[1] if prefix in text else text
    return f"{error.cls_name}: {text}"[:1000]


def exception_message(exc: BaseException) -> str:
    """How a failure before any step ran is recorded: its type and its message."""
    return f"{type(exc).__name__}: {exc}"[:1000]


def was_published(published: Path, run_id: str) -> bool:
    """Whether the published file is now this run's (read from the file itself)."""
    from pipelines.warehouse import published_run_id

    return published_run_id(published) == run_id


def report_failure(
    *,
    run_id: str,
    job: str,
    published: Path,
    failures: list[Failure],
    as_of: str | None,
    source: str | None,
    log_warning=log.warning,
) -> None:
    """Write the run's one ledger line and post its one alert (if a webhook is set)."""
    replaced = was_published(published, run_id)
    message = "; ".join(f.message for f in failures)[:2000]
    entry = run_ledger.RunRecord(
        run_id=run_id,
        status="failed",
        finished_at=run_ledger.now_iso(),
        as_of=as_of,
        source=source,
        failed_steps=[f.step for f in failures],
        message=message,
        published=replaced,
    )
    try:
        run_ledger.record(published, entry)
    except OSError as exc:  # e.g. the folder is read-only: the alert still goes out
        log_warning(f"Could not write the run ledger beside {published}: {exc.strerror or exc}")
    try:
        url = Settings.from_env().webhook_url
    except TrustgapError as exc:  # a setting made invalid after the run started
        log_warning(f"No failure alert sent: {exc}")
        return
    if not url:
        return
    steps = ", ".join(f.step for f in failures)
    payload = {
        "text": f"Trustgap nightly run {run_id[:8]} failed at {steps}: {message}. "
        + outcome_sentence(replaced),
        "run_id": run_id,
        "job": job,
        "step": failures[0].step,
        "failed_steps": [f.step for f in failures],
        "error": message,
        "warehouse": str(published),
        "published": replaced,
    }
    problem = post_webhook(url, payload)
    if problem:
        log_warning(f"Could not post the failure alert: {problem}")


def outcome_sentence(published: bool) -> str:
    """What a failed run did to the published warehouse, as the CLI, webhook and status say it."""
    if published:
        return "The published warehouse was replaced by this run; a step after the publish failed."
    return "The published warehouse was left unchanged."


def post_webhook(url: str, payload: dict, *, timeout: float = 10.0) -> str | None:
    """POST `payload` as JSON; None when delivered, else why not, without the URL.

    The URL of an incoming webhook is itself the secret (Slack, Teams), and the
    errors urllib raises quote it (`unknown url type: 'hooks...'`), so neither
    the URL nor those messages are ever logged; only the host is named.
    """
    import json

    host = urlsplit(url).hostname or "an unparseable address"
    try:
        request = urllib.request.Request(
            url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "User-Agent": "trustgap"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=timeout):
            pass
    except Exception as exc:  # an alerting outage must not mask the failure
        reason = getattr(exc, "code", None) or getattr(exc, "reason", None)
        detail = f" ({reason})" if isinstance(reason, int) else ""
        return f"TRUSTGAP_WEBHOOK_URL (host {host}): {type(exc).__name__}{detail}"
    return None


def run_labels(run: dg.DagsterRun | None) -> tuple[str | None, str | None]:
    """The run's as-of date and source as its run config gives them (None: the default)."""
    resources = (run.run_config or {}).get("resources", {}) if run else {}
    as_of = resources.get("run_params", {}).get("config", {}).get("as_of") or None
    if as_of is None:  # the run's default: today in the configured zone
        import datetime as dt
        from zoneinfo import ZoneInfo

        try:
            as_of = dt.datetime.now(ZoneInfo(Settings.from_env().timezone)).date().isoformat()
        except TrustgapError:  # a bad setting fails the run, reported with its reason
            as_of = None
    crm = resources.get("crm", {}).get("config", {})
    return as_of, crm.get("source") or ("demo" if "size" in crm else None)


def notice(context: dg.InitResourceContext, text: str) -> None:
    """A warning in the run's log and on the terminal that started it."""
    context.log.warning(text)
    print(f"Warning: {text}", file=sys.stderr)


@contextmanager
def failures_reported(context: dg.InitResourceContext, published: Path) -> Iterator[None]:
    """Around a whole run: report it once if it could not start or any step failed."""
    run = context.dagster_run
    run_id = run.run_id if run else "unknown"
    job = run.job_name if run else "nightly"
    as_of, source = run_labels(run)

    def warn(text: str) -> None:
        notice(context, text)

    try:
        yield
    except Exception as exc:
        failure = Failure(RUN_START, exception_message(exc))
        report_failure(
            run_id=run_id,
            job=job,
            published=published,
            failures=[failure],
            as_of=as_of,
            source=source,
            log_warning=warn,
        )
        raise
    if context.instance is None or run is None:
        return
    failures = failed_steps(context.instance, run_id)
    if failures:
        report_failure(
            run_id=run_id,
            job=job,
            published=published,
            failures=failures,
            as_of=as_of,
            source=source,
            log_warning=warn,
        )
