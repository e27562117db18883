"""The `trustgap` command: run the nightly job, and say what the warehouse holds.

    trustgap run --source salesforce|hubspot [--as-of DATE] [--warehouse PATH]
                 [--full-refresh] [--org-chart CSV] [--quiet | --verbose]
    trustgap backfill --from DATE --to DATE [--every day|week] [--warehouse PATH]
    trustgap status [--warehouse PATH] [--json]
    trustgap report [--warehouse PATH] [--out DIR] [--as-of DATE]
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
import warnings
from importlib.metadata import entry_points

from connectors.errors import TrustgapError
from pipelines.settings import (
    CRMS,
    Settings,
    check_as_of,
    check_crm,
    check_org_chart,
    check_warehouse_folder,
)

# The commands that write the warehouse (and so check its folder first).
RUNS_THE_JOB = ("run", "backfill")


def _prepare_environment() -> None:
    # Quiet third-party telemetry: nothing at run time may reach the internet.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    # PySpark warns about pandas 3 when imported (GX is imported with it hidden, but a
    # library may still import it here); no Trustgap path moves data through pandas.
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )
    from pipelines.project import ensure_dagster_home

    ensure_dagster_home()


def date_option(value: str) -> str:
    """argparse type for --as-of."""
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-11-27: {value!r}") from None


WAREHOUSE_HELP = "the published DuckDB file (default data/trustgap.duckdb)"


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """--as-of, --warehouse and --full-refresh: what every command that runs the job takes."""
    parser.add_argument("--as-of", type=date_option, help="metrics as of this date (default today)")
    parser.add_argument("--warehouse", help=WAREHOUSE_HELP)
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="re-read every CRM object from scratch instead of only what changed",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "-q",
        "--quiet",
        dest="output",
        action="store_const",
        const="quiet",
        help="print only failures and the outcome",
    )
    output.add_argument(
        "-v",
        "--verbose",
        dest="output",
        action="store_const",
        const="verbose",
        help="print every step, check and dbt node (always in the run's log file)",
    )
    parser.set_defaults(output="normal")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("trustgap")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _plugins() -> dict[str, object]:
    return {ep.name: ep.load() for ep in entry_points(group="trustgap.commands")}


def build_parser(plugins: dict[str, object] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trustgap", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"trustgap {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the nightly job on a configured CRM")
    run.add_argument("--source", required=True, choices=list(CRMS))
    run.add_argument(
        "--org-chart",
        help="CSV of user_email,manager_email[,team]: the hierarchy (HubSpot has no "
        "manager field; default TRUSTGAP_ORG_CHART, else the org_chart seed)",
    )
    add_run_options(run)
    backfill = commands.add_parser(
        "backfill",
        help="add past as-of dates to the published history (no CRM calls)",
        description="Compute the history's metrics as of past dates from the CRM history the "
        "last nightly run landed, and add them to the published warehouse's history.",
    )
    backfill.add_argument("--from", dest="start", required=True, type=date_option)
    backfill.add_argument("--to", dest="end", required=True, type=date_option)
    backfill.add_argument(
        "--every", choices=["day", "week"], default="day", help="one as-of date per (default day)"
    )
    backfill.add_argument("--warehouse", help=WAREHOUSE_HELP)
    status = commands.add_parser("status", help="show what the published warehouse holds")
    status.add_argument("--warehouse", help=WAREHOUSE_HELP)
    status.add_argument(
        "--json", action="store_true", help="print it as one JSON object (for monitoring)"
    )
    report = commands.add_parser(
        "report",
        help="build the trust report (HTML) from the published warehouse",
        description="Write the trust report: index.html for the organisation and one page per "
        "Sales Director, self-contained HTML with inline SVG charts.",
    )
    report.add_argument("--warehouse", help=WAREHOUSE_HELP)
    report.add_argument(
        "--out", help="folder to write (default TRUSTGAP_REPORT_DIR, else report/ beside it)"
    )
    report.add_argument(
        "--as-of",
        type=date_option,
        help="trends and changes as of this history date (default the marts' date)",
    )
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
        if getattr(args, "as_of", None):
            check_as_of(args.as_of, settings.timezone)
        from pipelines.engine.spark import refuse_on_spark

        refuse_on_spark(settings.engine, args.command)
        if args.command in RUNS_THE_JOB or args.command in plugins:
            check_warehouse_folder(getattr(args, "warehouse", None) or settings.warehouse)
        if args.command == "run":
            check_crm(args.source)
            chart = args.org_chart or settings.org_chart
            org_chart = check_org_chart(chart) if chart else None
        if args.command == "backfill":
            from pipelines.backfill import backfill_dates

            dates = backfill_dates(
                dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end), args.every
            )
        if args.command == "report":
            return _report(settings, args)
        _prepare_environment()
        if args.command == "prepare":
            from pipelines.project import ensure_manifest

            print(f"dbt manifest ready: {ensure_manifest(force=True)}")
            return 0
        if args.command == "status":
            from pipelines.status import show_status

            if args.json:
                from pipelines.status import status_json

                return status_json(args.warehouse)
            return show_status(args.warehouse)
        if args.command in plugins:
            return plugins[args.command].run(args)
        from pipelines.definitions import defs

        if args.command == "backfill":
            from pipelines.backfill import run_backfill

            return run_backfill(
                defs(), dates, warehouse_path=args.warehouse, contiguous=args.every == "day"
            )
        from pipelines.nightly_run import run_nightly

        return run_nightly(
            defs(),
            crm={"source": args.source},
            what=args.source,
            as_of=args.as_of,
            warehouse_path=args.warehouse,
            full_refresh=args.full_refresh,
            org_chart=str(org_chart or "") or None,
            output=args.output,
        )
    except TrustgapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the published warehouse was not changed", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `trustgap status | head`: the reader left; say nothing more, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _report(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipelines.report.build import build_report
    from pipelines.warehouse import published_path

    published = published_path(args.warehouse)
    out = Path(args.out).expanduser().resolve() if args.out else settings.report_path(published)
    as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
    result = build_report(published, out, as_of)
    print(f"Trust report as of {result.as_of} in {result.seconds:.1f} s:")
    for page, size in result.pages.items():
        print(f"  {page:<40} {size / 1e3:>8,.0f} kB")
    print(f"Open {result.index}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
