"""Running the nightly job from the command line, and what it prints when done.

`trustgap run` and `trustgap demo` both come here with their Definitions and
the `crm` resource's configuration.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import dagster as dg

from pipelines.settings import Settings
from pipelines.warehouse import WAREHOUSE_TAG, published_path, working_path

EXAMPLE_QUERY = (
    "select rep_name, manager_name, open_deals, stale_deals, past_due_deals, slipping_deals "
    "from marts.rep_hygiene order by stale_deals desc limit 5"
)
TOP_PROBLEMS = 5
# How far back the suggested backfill reaches: a quarter of weekly as-of dates.
BACKFILL_WEEKS = 13


def run_nightly(
    definitions: dg.Definitions,
    *,
    crm: dict,
    what: str,
    as_of: str | None,
    warehouse_path: str | None,
    full_refresh: bool = False,
    org_chart: str | None = None,
    ui_command: str = "make dev",
) -> int:
    """Execute `definitions`' `nightly` job in this process and print a summary.

    `crm` configures the `crm` resource; `what` names the CRM in the first line;
    `ui_command` is how the summary tells the user to open the Dagster UI.
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
            tags={"dagster/max_retries": "0", WAREHOUSE_TAG: str(published)},
        )
    elapsed = time.perf_counter() - started
    if not result.success:
        print(_failure_summary(result, published), file=sys.stderr)
        return 1
    print(summary(published, elapsed, ui_command=ui_command))
    return 0


def _failure_summary(result, published: Path) -> str:
    from pipelines import alerts

    # The published file says whether this run replaced it (a step after the publish
    # may have failed): the events only say which steps succeeded.
    outcome = alerts.outcome_sentence(alerts.was_published(published, result.run_id))
    lines = [f"\nRun {result.run_id} FAILED. {outcome}"]
    for event in result.all_events:
        if event.event_type_value == "RESOURCE_INIT_FAILURE" and event.event_specific_data.error:
            # No step ran (warehouse busy, folder not writable): say why.
            error = alerts.innermost_message(event.event_specific_data.error)
            lines.append(f"  the run could not start: {error}")
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


def summary(published: Path, elapsed: float, *, ui_command: str = "make dev") -> str:
    """Rows landed, the reps with hygiene problems, and what to do next.

    The marts come from the published file; the raw tables stay in the working
    file (the data team's), whose run lock is released by the time this runs.
    """
    import duckdb

    from pipelines import quarantine

    con = duckdb.connect(str(published), read_only=True)
    try:
        as_of = con.execute("select max(as_of) from trustgap_meta.runs").fetchone()[0]
        problems = con.execute(
            """
            select coalesce(rep_name, rep_id), manager_name, open_deals, stale_deals,
                   past_due_deals, slipping_deals, missing_next_step_deals
            from marts.rep_hygiene
            where stale_deals + past_due_deals + slipping_deals + missing_next_step_deals > 0
            order by stale_deals + past_due_deals + slipping_deals + missing_next_step_deals desc,
                     rep_name
            """
        ).fetchall()
        deals = con.execute(
            "select count(*), count(*) filter (where not is_closed) from marts.fct_deals"
        ).fetchone()
        quarantined = quarantine.counts(con)
    finally:
        con.close()
    lines = [f"\nNightly run succeeded in {elapsed:.1f} s (as of {as_of})."]
    lines += _rows_landed(working_path(published))
    lines.append(f"Deals: {deals[0]:,} ({deals[1]:,} open)")
    lines.append(quarantine.summary_line(quarantined))
    lines += _hygiene_problems(problems)
    lines.append(f"Published warehouse (read-only for BI tools): {published}")
    lines += _next_steps(published, as_of, ui_command)
    return "\n".join(lines)


def _rows_landed(working: Path) -> list[str]:
    """Rows per raw table, read from the working file; empty tables on one line."""
    import duckdb

    try:
        con = duckdb.connect(str(working), read_only=True) if working.exists() else None
    except duckdb.Error as exc:  # e.g. a new run already holds the file
        return [f"Rows landed: not readable now ({str(exc).splitlines()[0]})"]
    if con is None:
        return [f"Rows landed: unknown (no working file at {working})"]
    try:
        tables = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            "where schema_name like 'raw_%' order by 1"
        ).fetchall()
        raw = [(t, con.execute(f"select count(*) from {t}").fetchone()[0]) for (t,) in tables]
    finally:
        con.close()
    lines = ["Rows landed:"]
    lines += [f"  {name:<40} {rows:>10,}" for name, rows in raw if rows]
    empty = [name for name, rows in raw if not rows]
    if empty:
        lines.append(f"  empty: {_schemas_or_tables(empty, [name for name, _ in raw])}")
    return lines


def _schemas_or_tables(empty: list[str], every: list[str]) -> str:
    """`raw_hubspot.* (12 tables)` for a wholly empty schema, else the tables' names."""
    parts = []
    for schema in sorted({name.split(".")[0] for name in empty}):
        of_schema = [name for name in every if name.startswith(f"{schema}.")]
        mine = [name for name in empty if name.startswith(f"{schema}.")]
        if mine == of_schema:
            parts.append(f"{schema}.* ({len(mine)} tables)")
        else:
            parts += mine
    return ", ".join(parts)


def _hygiene_problems(problems: list[tuple]) -> list[str]:
    """The reps with the most stale, past-due, slipping or next-step-less open deals."""
    if not problems:
        return ["Hygiene: no hygiene problems on any open deal"]
    lines = ["Top hygiene problems (open deals: stale / past due / slipping / no next step):"]
    for rep, manager, open_, stale, due, slip, nxt in problems[:TOP_PROBLEMS]:
        who = f"{rep} ({manager})" if manager else rep
        lines.append(f"  {who:<40} {open_:>5} open: {stale:>4} / {due:>4} / {slip:>4} / {nxt:>4}")
    if len(problems) > TOP_PROBLEMS:
        lines.append(f"  ... and {len(problems) - TOP_PROBLEMS} more reps (marts.rep_hygiene)")
    return lines


def _next_steps(published: Path, as_of, ui_command: str) -> list[str]:
    """How to query, look at the run, build history, and open the trust report."""
    trustgap = _shown(Path(sys.executable).with_name("trustgap"))
    where = "" if published == published_path() else f" --warehouse {published}"
    # The weeks before this run's date (which the history already has).
    dates = "--from DATE --to DATE"
    if as_of:
        start, end = as_of - dt.timedelta(weeks=BACKFILL_WEEKS), as_of - dt.timedelta(weeks=1)
        dates = f"--from {start} --to {end}"
    return [
        "Next:",
        f'  query:   {_shown(Path(sys.executable))} -c "import duckdb; print(duckdb.connect('
        f"'{published}', read_only=True).sql('{EXAMPLE_QUERY}'))\"",
        f"  UI:      {ui_command}  (then open http://localhost:3000)",
        f"  status:  {trustgap} status{where}",
        f"  history: {trustgap} backfill {dates} --every week{where}",
        f"  report:  {_report_index(published, where)}",
    ]


def _report_index(published: Path, where: str) -> str:
    """The trust report's index page the run wrote, or how to build it."""
    index = Settings.from_env().report_path(published) / "index.html"
    if index.exists():
        return f"open {index}"
    return f"{_shown(Path(sys.executable).with_name('trustgap'))} report{where}"


def _shown(path: Path) -> str:
    """`path` relative to the current folder when it is under it (shorter to read)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
