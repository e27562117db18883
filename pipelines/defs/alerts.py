"""What happens when a nightly step fails: the run ledger and an optional webhook.

Set TRUSTGAP_WEBHOOK_URL (Slack/Teams incoming webhook or any JSON endpoint) to
be told about failures. The payload carries the run id, step and the typed,
secret-free error message; never credentials or row data.
"""

from __future__ import annotations

import json
import logging
import urllib.request

import dagster as dg

from connectors.errors import TrustgapError
from pipelines import run_ledger
from pipelines.resources import CrmSource, RunParams, Warehouse
from pipelines.settings import Settings

log = logging.getLogger(__name__)


def failure_message(context: dg.HookContext) -> str:
    error = context.op_exception
    if error is None:
        return "step failed"
    # Dagster wraps user errors; the innermost one is the user-facing message.
    while getattr(error, "__cause__", None) is not None:
        error = error.__cause__
    return f"{type(error).__name__}: {error}"[:1000]


def post_webhook(url: str, payload: dict, *, timeout: float = 10.0) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "trustgap"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout):
        pass


@dg.failure_hook(required_resource_keys={"warehouse", "run_params", "crm"})
def record_failure(context: dg.HookContext) -> None:
    """Record the failed step in the run ledger and post to the webhook, if configured."""
    warehouse: Warehouse = context.resources.warehouse
    run_params: RunParams = context.resources.run_params
    crm: CrmSource = context.resources.crm
    message = failure_message(context)
    entry = run_ledger.RunRecord(
        run_id=context.run_id,
        status="failed",
        finished_at=run_ledger.now_iso(),
        as_of=run_params.as_of_date().isoformat(),
        source=_source(crm),
        failed_steps=[context.step_key],
        message=message,
    )
    run_ledger.record(warehouse.published, entry)
    url = Settings.from_env().webhook_url
    if not url:
        return
    payload = {
        "text": f"Trustgap nightly run {context.run_id[:8]} failed at {context.step_key}: "
        f"{message}. The published warehouse was left unchanged.",
        "run_id": context.run_id,
        "job": context.job_name,
        "step": context.step_key,
        "error": message,
        "warehouse": str(warehouse.published),
    }
    try:
        post_webhook(url, payload)
    except OSError as exc:  # an alerting outage must not mask the real failure
        context.log.warning(f"Could not post the failure to TRUSTGAP_WEBHOOK_URL: {exc}")


def _source(crm: CrmSource) -> str:
    # The failure may be that no CRM is configured: the ledger still records it.
    try:
        return crm.label()
    except TrustgapError:
        return "unconfigured"
