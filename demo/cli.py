"""`trustgap demo`: the nightly job on the embedded demo CRM (no credentials needed).

Registered in the `trustgap.commands` entry-point group (pyproject.toml), so the
production CLI offers it without importing this package.
"""

from __future__ import annotations

import argparse

from demo import ORG_SIZES


def add_parser(commands) -> None:
    from pipelines.cli import add_run_options

    demo = commands.add_parser("demo", help="run the nightly job on the embedded demo CRM")
    demo.add_argument(
        "--source",
        default="salesforce",
        choices=["salesforce", "hubspot"],
        help="which fake CRM API serves the demo org (default salesforce)",
    )
    demo.add_argument("--size", default="small", choices=list(ORG_SIZES))
    demo.add_argument("--seed", type=int, default=7, help="demo generator seed")
    add_run_options(demo)


def run(args: argparse.Namespace) -> int:
    from demo.definitions import defs
    from pipelines.launch import DEMO
    from pipelines.nightly_run import run_nightly

    return run_nightly(
        defs(),
        crm={"size": args.size, "seed": args.seed, "crm": args.source},
        what=f"demo CRM ({args.size}, {args.source} API)",
        as_of=args.as_of,
        warehouse_path=args.warehouse,
        full_refresh=args.full_refresh,
        ui_command="make dev-demo",
        location=DEMO,
    )
