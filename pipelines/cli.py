"""The `trustgap` command: run the nightly job, and say what the warehouse holds.

    trustgap run --source salesforce|hubspot [--as-of DATE] [--warehouse PATH]
                 [--full-refresh] [--org-chart CSV]
    trustgap status [--warehouse PATH]
    trustgap prepare          # parse the dbt project (done by `make install`)
    trustgap demo ...         # the embedded demo CRM (from the `demo` package)

Every run goes through the real Dagster `nightly` job, recorded in the Dagster
instance under DAGSTER_HOME (default data/dagster_home). The configuration is
checked before Dagster, dbt or great-expectations load, so a missing credential
fails in well under a second. Other packages add commands through the
`trustgap.commands` entry-point group (an object with `add_parser(subparsers)`
and `run(args)`); that is how `demo` joins without production importing it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path

from connectors.errors import TrustgapError
from pipelines.settings import CRMS, Settings, check_crm, check_org_chart


def _prepare_environment() -> None:
    # Quiet third-party telemetry: nothing at run time may reach the internet.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    from pipelines.project import ensure_dagster_home

    ensure_dagster_home()


def date_option(value: str) -> str:
    """argparse type for --as-of."""
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-11-27: {value!r}") from None


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """--as-of, --warehouse and --full-refresh: what every command that runs the job takes."""
    parser.add_argument("--as-of", type=date_option, help="metrics as of this date (default today)")
    parser.add_argument("--warehouse", help="published DuckDB file (default data/trustgap.duckdb)")
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="re-read every CRM object from scratch instead of only what changed",
    )


def _plugins() -> dict[str, object]:
    return {ep.name: ep.load() for ep in entry_points(group="trustgap.commands")}


def build_parser(plugins: dict[str, object] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trustgap", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the nightly job on a configured CRM")
    run.add_argument("--source", required=True, choices=list(CRMS))
    run.add_argument(
        "--org-chart",
        help="CSV of user_email,manager_email[,team]: the hierarchy (HubSpot has no "
        "manager field; default TRUSTGAP_ORG_CHART, else the org_chart seed)",
    )
    add_run_options(run)
    status = commands.add_parser("status", help="show what the published warehouse holds")
    status.add_argument("--warehouse")
    commands.add_parser("prepare", help="parse the dbt project into its manifest")
    for plugin in (plugins or {}).values():
        plugin.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    plugins = _plugins()
    args = build_parser(plugins).parse_args(argv)
    try:
        # Every setting is checked first: a bad one costs a second, not a run.
        settings = Settings.from_env()
        if args.command == "run":
            check_crm(args.source)
            org_chart = check_org_chart(args.org_chart) if args.org_chart else None
        _prepare_environment()
        if args.command == "prepare":
            from pipelines.project import ensure_manifest

            print(f"dbt manifest ready: {ensure_manifest(force=True)}")
            return 0
        if args.command == "status":
            return show_status(args.warehouse)
        if args.command in plugins:
            return plugins[args.command].run(args)
        from pipelines.definitions import defs
        from pipelines.nightly_run import run_nightly

        return run_nightly(
            defs(),
            crm={"source": args.source},
            what=args.source,
            as_of=args.as_of,
            warehouse_path=args.warehouse,
            full_refresh=args.full_refresh,
            org_chart=str(org_chart or settings.org_chart or "") or None,
        )
    except TrustgapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the published warehouse was not changed", file=sys.stderr)
        return 130


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
