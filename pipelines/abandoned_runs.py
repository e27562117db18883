"""Runs left STARTED by a process that died are marked failed, and reported once.

A run whose process is killed (kill -9, out of memory, a closed terminal) never
records its end: Dagster would show it STARTED for ever, holding its warehouse's
slot in the run queue. The next run on the same warehouse, once it holds the
warehouse lock, knows no other live process is building it, and closes such runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from pipelines import alerts


def fail_abandoned_runs(context: dg.InitResourceContext, published: Path) -> list[str]:
    """Mark failed, and report, the runs on `published` left STARTED by a dead process.

    Called by a run that holds the warehouse lock: no other live process is building
    this warehouse. A run whose process was killed (kill -9, out of memory, a closed
    terminal) never records its end, and would otherwise stay STARTED in Dagster,
    holding its warehouse's slot in the run queue. Only runs whose process is known
    to be gone from this machine are touched.
    """
    instance, current = context.instance, context.dagster_run
    if instance is None or current is None:
        return []
    from pipelines.warehouse import published_path

    abandoned = []
    started = instance.get_runs(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED], job_name=current.job_name)
    )
    for run in started:
        if run.run_id == current.run_id:
            continue
        path = (run.run_config or {}).get("resources", {}).get("warehouse", {}).get("config", {})
        if published_path(path.get("path") or None) != published:
            continue
        pid = _run_pid(instance, run.run_id)
        if pid is None or _alive(pid):
            continue
        message = (
            f"The run's process (pid {pid}) ended without finishing it: killed, out of memory "
            f"or its terminal closed. Marked failed by run {current.run_id[:8]}."
        )
        instance.report_run_failed(run, message)
        as_of, source = alerts.run_labels(run)
        alerts.report_failure(
            run_id=run.run_id,
            job=run.job_name,
            published=published,
            failures=[alerts.Failure(PROCESS_ENDED, message)],
            as_of=as_of,
            source=source,
            log_warning=lambda text: alerts.notice(context, text),
        )
        abandoned.append(run.run_id)
    return abandoned


# The "step" a run whose process died is recorded under.
PROCESS_ENDED = "process ended"


def _run_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The process that executed `run_id`'s steps (from its first engine event)."""
    records = instance.get_records_for_run(
        run_id=run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, limit=1
    ).records
    if not records:
        return None
    event = records[0].event_log_entry.dagster_event
    return event.pid if event is not None else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
