"""`trustgap demo`: the nightly job on the embedded demo CRM (no credentials needed).

Registered in the `trustgap.commands` entry-point group (pyproject.toml), so the
production CLI offers it without importing this package.
"""

from __future__ import annotations

import argparse

from demo import ORG_SIZES

# The demo org plants bad rows (demo/org/planted.py) so that the landing checks and
# the quarantine have something to show: these warnings are the demo working.
PLANTED_WARNINGS = {
    "gx_opportunity": "the demo plants a negative amount and an unknown stage",
    "gx_deals": "the demo plants a negative amount and an unknown stage",
    "quarantined_deals": "the demo plants bad deals for the quarantine to set aside",
    "quarantined_activities": "the demo plants an activity on a deal that does not exist",
}


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
        output=args.output,
        expected_warnings=PLANTED_WARNINGS,
    )
