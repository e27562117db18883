"""Running the nightly job from the command line, and what it prints when done.

`trustgap run` and `trustgap demo` both come here with their Definitions and
the `crm` resource's configuration.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import dagster as dg

from pipelines.warehouse import published_path

EXAMPLE_QUERY = (
    "select rep_id, open_deals, stale_deals, past_due_deals, completeness "
    "from marts.rep_hygiene order by stale_deals desc limit 5"
)


def run_nightly(
    definitions: dg.Definitions,
    *,
    crm: dict,
    what: str,
    as_of: str | None,
    warehouse_path: str | None,
    full_refresh: bool = False,
    org_chart: str | None = None,
) -> int:
    """Execute `definitions`' `nightly` job in this process and print a summary.

    `crm` configures the `crm` resource; `what` names the CRM in the first line.
    """

    started = time.perf_counter()
    published = published_path(warehouse_path)
    run_params: dict[str, object] = {"as_of": as_of or "", "full_refresh": full_refresh}
    if org_chart:
        run_params["org_chart"] = org_chart
    run_config = {
        "resources": {
            "crm": {"config": crm},
            "run_params": {"config": run_params},
            "warehouse": {"config": {"path": str(published)}},
        },
        # Without a loggers section Dagster ignores the job's loggers and prints
        # every engine event; ours prints one line per step and message.
        "loggers": {"console": {"config": {"log_level": "INFO"}}},
    }
    print(f"Trustgap nightly run on the {what} -> {published}", file=sys.stderr)
    job = definitions.resolve_job_def("nightly")
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            run_config=run_config,
            instance=instance,
            raise_on_error=False,
            # Run retries are the daemon's (pipelines/project.py); it cannot relaunch
            # a run this process executes. Transient step failures still retry.
            tags={"dagster/max_retries": "0"},
        )
    elapsed = time.perf_counter() - started
    if not result.success:
        print(_failure_summary(result, published), file=sys.stderr)
        return 1
    print(summary(published, elapsed))
    return 0


def _failure_summary(result, published: Path) -> str:
    lines = [f"\nRun {result.run_id} FAILED; the published warehouse was left unchanged."]
    for event in result.all_events:
        if event.event_type_value == "STEP_UP_FOR_RETRY":
            lines.append(f"  {event.step_key}: failed transiently, retried")
        elif event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            cause = error.cause or error
            lines.append(f"  {event.step_key}: {cause.message.strip()}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            check = event.event_specific_data
            if not check.passed and check.severity.value == "ERROR" and check.description:
                lines.append(f"  check {check.check_name} failed: {check.description}")
    lines.append(f"Published copy: {published if published.exists() else '(none yet)'}")
    return "\n".join(lines)


def summary(published: Path, elapsed: float) -> str:
    """Rows landed, the top hygiene problems, timing and how to query."""
    import duckdb

    from pipelines import quarantine

    con = duckdb.connect(str(published), read_only=True)
    try:
        raw_tables = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            "where schema_name like 'raw_%' order by 1"
        ).fetchall()
        raw = [
            (name, con.execute(f"select count(*) from {name}").fetchone()[0])
            for (name,) in raw_tables
        ]
        as_of = con.execute("select max(as_of) from trustgap_meta.runs").fetchone()[0]
        problems = con.execute(
            """
            select coalesce(u.name, h.rep_id), h.open_deals, h.stale_deals,
                   h.past_due_deals, h.slipping_deals, h.missing_next_step_deals
            from marts.rep_hygiene h left join marts.dim_users u on u.user_id = h.rep_id
            order by h.stale_deals + h.past_due_deals + h.slipping_deals desc, h.rep_id
            limit 5
            """
        ).fetchall()
        deals = con.execute(
            "select count(*), count(*) filter (where not is_closed) from marts.fct_deals"
        ).fetchone()
        quarantined = quarantine.counts(con)
    finally:
        con.close()
    lines = [f"\nNightly run succeeded in {elapsed:.1f} s (as of {as_of}).", "Rows landed:"]
    lines += [f"  {name:<40} {rows:>10,}" for name, rows in raw]
    lines.append(f"Deals: {deals[0]:,} ({deals[1]:,} open)")
    lines.append(quarantine.summary_line(quarantined))
    lines.append("Top hygiene problems (open deals: stale / past due / slipping / no next step):")
    lines += [
        f"  {name:<28} {open_:>5} open: {stale:>4} / {due:>4} / {slip:>4} / {nxt:>4}"
        for name, open_, stale, due, slip, nxt in problems
    ]
    lines.append(f"Published warehouse: {published}")
    lines.append(
        f'Try: {sys.executable} -c "import duckdb; print(duckdb.connect('
        f"'{published}', read_only=True).sql('{EXAMPLE_QUERY}'))\""
    )
    return "\n".join(lines)
