"""The `trustgap` command: run the nightly job on the demo CRM or a real one.

    trustgap demo [--source salesforce|hubspot] [--size tiny|small|medium|large]
                  [--as-of DATE] [--warehouse PATH] [--full-refresh]
    trustgap run --source salesforce|hubspot [--as-of DATE] [--warehouse PATH]
                 [--full-refresh] [--org-chart CSV]
    trustgap status [--warehouse PATH]
    trustgap prepare          # parse the dbt project (done by `make install`)

Every run goes through the real Dagster `nightly` job, recorded in the Dagster
instance under DAGSTER_HOME (default data/dagster_home), so `dagster dev` shows it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

from connectors.errors import TrustgapError

EXAMPLE_QUERY = (
    "select rep_id, open_deals, stale_deals, past_due_deals, completeness "
    "from marts.rep_hygiene order by stale_deals desc limit 5"
)


def _prepare_environment() -> None:
    # Quiet third-party telemetry: nothing at run time may reach the internet.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    from pipelines.project import ensure_dagster_home

    ensure_dagster_home()


def _date(value: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-11-27: {value!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trustgap", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def run_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--as-of", type=_date, help="metrics as of this date (default today)")
        p.add_argument("--warehouse", help="published DuckDB file (default data/trustgap.duckdb)")
        p.add_argument(
            "--full-refresh",
            action="store_true",
            help="re-read every CRM object from scratch instead of only what changed",
        )

    demo = commands.add_parser("demo", help="run the nightly job on the embedded demo CRM")
    demo.add_argument(
        "--source",
        default="salesforce",
        choices=["salesforce", "hubspot"],
        help="which fake CRM API serves the demo org (default salesforce)",
    )
    demo.add_argument("--size", default="small", choices=["tiny", "small", "medium", "large"])
    demo.add_argument("--seed", type=int, default=7, help="demo generator seed")
    run_options(demo)

    run = commands.add_parser("run", help="run the nightly job on a configured CRM")
    run.add_argument("--source", required=True, choices=["salesforce", "hubspot"])
    run.add_argument(
        "--org-chart",
        help="CSV of user_email,manager_email[,team]: the hierarchy (HubSpot has no "
        "manager field; default TRUSTGAP_ORG_CHART, else the org_chart seed)",
    )
    run_options(run)

    status = commands.add_parser("status", help="show what the published warehouse holds")
    status.add_argument("--warehouse")

    commands.add_parser("prepare", help="parse the dbt project into its manifest")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _prepare_environment()
    try:
        if args.command == "prepare":
            from pipelines.project import ensure_manifest

            print(f"dbt manifest ready: {ensure_manifest(force=True)}")
            return 0
        if args.command == "status":
            return show_status(args.warehouse)
        if args.command == "demo":
            source = {"source": "demo", "demo_size": args.size, "demo_seed": args.seed}
            if args.source == "hubspot":
                source["demo_crm"] = "hubspot"
        else:
            source = {"source": args.source}
            if args.org_chart:
                _use_org_chart(args.org_chart)
        return run_nightly(
            source,
            as_of=args.as_of,
            warehouse_path=args.warehouse,
            full_refresh=args.full_refresh,
        )
    except TrustgapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the published warehouse was not changed", file=sys.stderr)
        return 130


def _use_org_chart(path: str) -> None:
    """Point dbt's org chart (stg_org_chart) at `path` for this run."""
    from connectors.errors import ConfigurationError

    chart = Path(path).expanduser().resolve()
    if not chart.is_file():
        raise ConfigurationError(f"--org-chart: no file at {chart}")
    header = chart.read_text(encoding="utf-8-sig").partition("\n")[0].strip().lower()
    columns = [c.strip() for c in header.split(",")]
    if columns[:2] != ["user_email", "manager_email"]:
        raise ConfigurationError(
            f"--org-chart: {chart.name} must start with the header user_email,manager_email[,team]"
        )
    os.environ["TRUSTGAP_ORG_CHART"] = str(chart)


def run_nightly(
    source: dict, *, as_of: str | None, warehouse_path: str | None, full_refresh: bool = False
) -> int:
    """Execute the Dagster `nightly` job in this process and print a summary."""
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.warehouse import published_path

    started = time.perf_counter()
    published = published_path(warehouse_path)
    run_config = {
        "resources": {
            "crm": {"config": source},
            "run_params": {"config": {"as_of": as_of or "", "full_refresh": full_refresh}},
            "warehouse": {"config": {"path": str(published)}},
        },
        # Without a loggers section Dagster ignores the job's loggers and prints
        # every engine event; ours prints one line per step and message.
        "loggers": {"console": {"config": {"log_level": "INFO"}}},
    }
    what = source["source"]
    if what == "demo":
        what = f"demo CRM ({source['demo_size']}, {source.get('demo_crm', 'salesforce')} API)"
    print(f"Trustgap nightly run on the {what} -> {published}", file=sys.stderr)
    job = defs().resolve_job_def("nightly")
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


def show_status(warehouse_path: str | None) -> int:
    """Print the last publish, the last run's outcome, checks, freshness and quarantine."""
    from pipelines import quarantine, run_ledger
    from pipelines.warehouse import published_path

    published = published_path(warehouse_path)
    runs = run_ledger.history(published, limit=50)
    print(f"Warehouse: {published}")
    if runs and runs[0].status == "failed":
        last = runs[0]
        print(
            f"LAST RUN FAILED at {last.finished_at} (run {last.run_id[:8]}, as of {last.as_of}), "
            f"step {', '.join(last.failed_steps)}: {last.message}"
        )
        print("The published copy below is the last good run; it was left unchanged.")
    if not published.exists():
        print("No published warehouse yet: run `trustgap demo` or `trustgap run`.")
        return 1
    status = read_published_status(published)
    print(
        f"Last publish: {status['published_at']:%Y-%m-%d %H:%M:%S %Z} "
        f"(run {status['run_id'][:8]}), as of {status['as_of']}, source {status['source']}"
    )
    passed, failed = status["checks_passed"], status["checks_failed"]
    print(f"Checks in that run: {passed} passed, {len(failed)} failed")
    for asset, name, severity, description in failed[:20]:
        why = f" - {description[:160]}" if description else ""
        print(f"  {severity:<5} {asset}: {name}{why}")
    from pipelines.freshness import status_lines

    print("\n".join(status_lines(status["freshness"])))
    if status["quarantine"]:
        print(quarantine.summary_line(status["quarantine"]))
    return 1 if runs and runs[0].status == "failed" else 0


def read_published_status(published: Path) -> dict:
    """What `trustgap status` reports from inside the published warehouse."""
    import datetime as dt

    import duckdb

    from pipelines import quarantine
    from pipelines.freshness import raw_table_ages

    con = duckdb.connect(str(published), read_only=True)
    try:
        run_id, as_of, source, published_at = con.execute(
            "select run_id, as_of, source, published_at from trustgap_meta.runs "
            "order by published_at desc limit 1"
        ).fetchone()
        checks = con.execute(
            "select asset, check_name, severity, passed, description "
            "from trustgap_meta.check_results"
        ).fetchall()
        freshness = raw_table_ages(con, dt.datetime.now(dt.UTC))
        quarantined = quarantine.counts(con)
    finally:
        con.close()
    return {
        "run_id": run_id,
        "as_of": as_of,
        "source": source,
        "published_at": published_at,
        "checks_passed": sum(1 for *_, ok, _ in checks if ok),
        "checks_failed": [(a, n, s, d) for a, n, s, ok, d in checks if not ok],
        "freshness": freshness,
        "quarantine": quarantined,
    }


if __name__ == "__main__":
    raise SystemExit(main())
