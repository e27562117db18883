"""Running the nightly job from the command line, and what it prints when done.

`trustgap run` and `trustgap demo` both come here with their Definitions and
the `crm` resource's configuration.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from pipelines import launch
from pipelines.launch import PRODUCTION, CodeLocation
from pipelines.progress import innermost_message
from pipelines.settings import Settings
from pipelines.warehouse import WAREHOUSE_TAG, published_path, working_path

EXAMPLE_QUERY = (
    "select rep_name, manager_name, open_deals, stale_deals, past_due_deals, slipping_deals "
    "from marts.rep_hygiene order by stale_deals desc limit 5"
)
TOP_PROBLEMS = 5
# "connectors.errors.CrmUnavailableError: " before an error's own words.
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
    location: CodeLocation = PRODUCTION,
    output: str = "normal",
    expected_warnings: dict[str, str] | None = None,
) -> int:
    """Execute `definitions`' `nightly` job in this process and print a summary.

    `crm` configures the `crm` resource; `what` names the CRM in the first line;
    `ui_command` is how the summary tells the user to open the Dagster UI, where
    the run is listed under `location`'s `nightly` job. By default the
    terminal gets a line per finished step and dbt's own output goes only to the
    run's log file (its path is printed first); `output` "verbose" prints it all,
    "quiet" only failures and the outcome. `expected_warnings` (check name ->
    why) explains the warnings a run is known to raise, such as the demo's planted rows.
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
    }
    run_id = str(uuid.uuid4())
    log_file = published.parent / "logs" / f"nightly-{run_id}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    # Without a loggers section Dagster ignores the job's loggers and prints
    # every engine event; ours prints one line per step and message.
    run_config["loggers"] = {
        "console": {
            "config": {
                "log_level": "ERROR" if output == "quiet" else "INFO",
                "quiet": output != "verbose",
                "log_file": str(log_file),
                "expected_warnings": expected_warnings or {},
            }
        }
    }
    print(f"Trustgap nightly run on the {what} -> {published}", file=sys.stderr)
    print(f"Full log: {_shown(log_file)}", file=sys.stderr)
    with dg.DagsterInstance.get() as instance, _dbt_output(log_file, output == "verbose"):
        result = launch.execute(
            definitions,
            location,
            instance,
            run_id=run_id,
            run_config=run_config,
            # Run retries are the daemon's (pipelines/project.py); it cannot relaunch
            # a run this process executes. Transient step failures still retry.
            tags={"dagster/max_retries": "0", WAREHOUSE_TAG: str(published)},
        )
    elapsed = time.perf_counter() - started
    if not result.success:
        print(_failure_summary(result, published), file=sys.stderr)
        return 1
    settings = Settings.from_env()
    if settings.engine == "spark":
        from pipelines.engine import spark_steps

        spark_dir = settings.spark_dir(published)
        print(spark_steps.summary(spark_dir, elapsed, _shown(Path(sys.executable))))
        return 0
    text = summary(published, elapsed, ui_command=ui_command)
    if output == "quiet":
        lines = text.splitlines()
        text = "\n".join([lines[1], *(x for x in lines if x.startswith("Published warehouse"))])
    print(text)
    return 0


@contextlib.contextmanager
def _dbt_output(log_file: Path, verbose: bool) -> Iterator[None]:
    """dbt's node-by-node lines (dagster-dbt writes them to stdout) into the log file."""
    if verbose:
        yield
        return
    with log_file.open("a", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        yield


def _failure_summary(result, published: Path) -> str:
    from pipelines import alerts

    # The published file says whether this run replaced it (a step after the publish
    # may have failed): the events only say which steps succeeded.
    outcome = alerts.outcome_sentence(alerts.was_published(published, result.run_id))
    causes: list[str] = []
    retried: dict[str, int] = {}
    for event in result.all_events:
        if event.event_type_value == "RESOURCE_INIT_FAILURE" and event.event_specific_data.error:
            # No step ran (warehouse busy, folder not writable): say why.
            error = alerts.innermost_message(event.event_specific_data.error)
            causes.append(f"the run could not start: {error}")
        if event.event_type_value == "STEP_UP_FOR_RETRY":
            retried[event.step_key] = retried.get(event.step_key, 0) + 1
        elif event.event_type_value == "STEP_FAILURE":
            message = innermost_message(event.event_specific_data.error)
            causes.append(f"{event.step_key}: {message}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            check = event.event_specific_data
            if not check.passed and check.severity.value == "ERROR" and check.description:
                causes.append(f"check {check.check_name} failed: {check.description}")
    # The first line says why; the rest is for whoever digs further.
    lines = [f"\nFAILED: {causes[0] if causes else 'see the run in the Dagster UI'}"]
    lines.append(f"Run {result.run_id} FAILED. {outcome}")
    lines += [f"  {cause}" for cause in causes[1:]]
    lines += [f"  {step}: failed transiently {n}x before" for step, n in retried.items()]
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
        orphaned = con.execute(
            """
            select coalesce(rep_name, rep_id), orphaned_open_deals, orphaned_open_value
            from marts.rep_hygiene where orphaned_open_deals > 0
            order by orphaned_open_value desc, rep_name
            """
        ).fetchall()
        reconciliation = con.execute(
            "select crm_open_deals, mart_open_deals, quarantined_open_deals, "
            "unexplained_open_deals from marts.pipeline_reconciliation"
        ).fetchone()
    finally:
        con.close()
    from pipelines import calendar

    lines = [f"\nNightly run succeeded in {elapsed:.1f} s (as of {as_of})."]
    lines += calendar.status_lines(published)
    lines += _rows_landed(working_path(published))
    lines.append(f"Deals: {deals[0]:,} ({deals[1]:,} open)")
    lines += _reconciliation(reconciliation)
    lines.append(quarantine.summary_line(quarantined))
    lines += _hygiene_problems(problems)
    lines += _orphaned(orphaned)
    lines.append(f"Published warehouse (read-only for BI tools): {published}")
    lines += _next_steps(published, as_of, ui_command)
    return "\n".join(lines)


def _reconciliation(row) -> list[str]:
    """One line: the CRM's open deals are the marts' plus the quarantined (plus, on a
    back-dated run, those changed since); `trustgap status` has the values."""
    if row is None:
        return []
    crm, marts, quarantined, unexplained = row
    line = f"Open deals in the CRM: {crm:,} = {marts:,} in the marts + {quarantined:,} quarantined"
    changed = crm - marts - quarantined - unexplained
    if changed:
        line += f" + {changed:,} changed since the as-of date"
    if unexplained:
        line += f"; {unexplained:,} UNEXPLAINED (see marts.pipeline_reconciliation)"
    return [line]


def _orphaned(rows) -> list[str]:
    """Open pipeline still held by deactivated owners (H12): who, how many, how much."""
    if not rows:
        return []
    deals = sum(count for _, count, _ in rows)
    value = sum(amount or 0 for *_, amount in rows)
    owners = ", ".join(name for name, *_ in rows[:3]) + (" and others" if len(rows) > 3 else "")
    return [
        f"Orphaned pipeline: {deals:,} open deals worth {value:,.0f} held by deactivated "
        f"owners ({owners}); reassign them"
    ]


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
