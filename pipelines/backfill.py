"""`trustgap backfill`: past as-of dates into the published history, from the command line.

Runs the Dagster `history_backfill` job (pipelines/defs/history.py), the same job a
backfill launched from the UI runs: a daily range is one run; `--every week`
runs one partition per chosen date, so the UI shows exactly the dates computed.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import dagster as dg

from connectors.errors import ConfigurationError
from pipelines import launch
from pipelines.warehouse import WAREHOUSE_TAG, published_path

STEPS = {"day": 1, "week": 7}
# Beyond this the command is almost surely a typo (a year instead of a month).
MAX_DATES = 400


def backfill_dates(start: dt.date, end: dt.date, every: str) -> list[dt.date]:
    """`start`, then every `every` after it, up to and including `end`."""
    if end < start:
        raise ConfigurationError(f"--to {end} is before --from {start}")
    step = STEPS[every]
    dates = [start + dt.timedelta(days=day) for day in range(0, (end - start).days + 1, step)]
    if len(dates) > MAX_DATES:
        raise ConfigurationError(
            f"{len(dates)} as-of dates from {start} to {end}: at most {MAX_DATES} per backfill"
        )
    return dates


def run_backfill(
    definitions: dg.Definitions,
    dates: list[dt.date],
    *,
    warehouse_path: str | None,
    contiguous: bool,
    location: launch.CodeLocation = launch.PRODUCTION,
) -> int:
    """Execute `history_backfill` for `dates` in this process; print progress and a summary."""
    published = published_path(warehouse_path)
    job = definitions.resolve_job_def("history_backfill")
    known = set(job.partitions_def.get_partition_keys())
    missing = [d.isoformat() for d in dates if d.isoformat() not in known]
    if missing:
        raise ConfigurationError(
            f"{missing[0]} is outside the history's dates (TRUSTGAP_HISTORY_START to today)"
        )
    run_config = {
        "resources": {"warehouse": {"config": {"path": str(published)}}},
        "loggers": {"console": {"config": {"log_level": "INFO"}}},
    }
    if contiguous:
        batches = [
            {
                "dagster/asset_partition_range_start": dates[0].isoformat(),
                "dagster/asset_partition_range_end": dates[-1].isoformat(),
            }
        ]
    else:
        batches = [{"dagster/partition": d.isoformat()} for d in dates]
    print(
        f"Trustgap history backfill: {len(dates)} as-of date(s) from {dates[0]} to {dates[-1]} "
        f"-> {published}",
        file=sys.stderr,
    )
    started = time.perf_counter()
    with dg.DagsterInstance.get() as instance:
        for position, tags in enumerate(batches, start=1):
            partition = tags.get("dagster/partition")
            # A run of the code location (not execute_in_process), so the UI lists it.
            result = launch.execute(
                definitions,
                location,
                instance,
                run_config=run_config,
                tags={"dagster/max_retries": "0", WAREHOUSE_TAG: str(published), **tags},
                job_name="history_backfill",
            )
            if not result.success:
                failure = next(
                    (e for e in result.all_events if e.event_type_value == "STEP_FAILURE"), None
                )
                cause = failure.event_specific_data.error if failure else None
                reason = (cause.cause or cause).message.strip() if cause else "see the run's logs"
                kept = "the dates before it are in the history; " if position > 1 else ""
                print(
                    f"\nBackfill run {result.run_id} FAILED: {reason}\n"
                    f"{kept}this run added nothing. The published marts are unchanged.",
                    file=sys.stderr,
                )
                return 1
            if partition:
                print(
                    f"[{position}/{len(batches)}] {partition} added "
                    f"({time.perf_counter() - started:.1f} s so far)",
                    file=sys.stderr,
                )
    print(summary(published, dates, time.perf_counter() - started))
    return 0


def summary(published, dates: list[dt.date], elapsed: float) -> str:
    import duckdb

    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute(
            "select as_of, count(*) from history.rep_hygiene group by all order by all"
        ).fetchall()
    lines = [
        f"\nBackfill of {len(dates)} as-of date(s) done in {elapsed:.1f} s.",
        f"History in {published}: {len(rows)} as-of date(s), {rows[0][0]} to {rows[-1][0]}.",
        "Stale pipeline by Sales Director, week over week:",
        "  select as_of, director_name, stale_deals, open_deals, stale_share "
        "from history.director_trends order by director_name, as_of",
    ]
    return "\n".join(lines)
