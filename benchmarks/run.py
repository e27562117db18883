"""Run the benchmark: `python -m benchmarks.run --sizes S,M [--latency-ms 0] [--incremental]`.

For each size (T tiny, S small, M medium, L large) serves the demo org through the
fake Salesforce, runs the nightly job (full; with --incremental also after a day
of changes and with no change), measures every phase against DuckDB alone, prints
the tables, writes benchmarks/results/<size>-<latency>ms-<run>.json and rebuilds
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks import harness, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="S,M", help="comma-separated: T, S, M, L")
    parser.add_argument("--latency-ms", type=float, default=0, help="fake API latency per call")
    parser.add_argument(
        "--incremental", action="store_true", help="also a day-of-changes and a no-change run"
    )
    parser.add_argument("--no-floor", action="store_true", help="skip the DuckDB-alone arm")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile each run into the workdir (slower)"
    )
    parser.add_argument("--workdir", help="where warehouses and payloads go (default: a temp dir)")
    parser.add_argument("--results", default=str(report.RESULTS_DIR), help="JSON output folder")
    parser.add_argument(
        "--no-markdown", action="store_true", help="do not rebuild benchmarks/RESULTS.md"
    )
    args = parser.parse_args(argv)
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in harness.SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; choose from {', '.join(harness.SIZES)}")
    results_dir = Path(args.results)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="trustgap-bench-"))
    failed = False
    produced = []
    for size in sizes:
        results = harness.run_scenario(
            size,
            latency_ms=args.latency_ms,
            incremental=args.incremental,
            workdir=workdir,
            floor=not args.no_floor,
            log=lambda message: print(message, file=sys.stderr, flush=True),
            on_result=lambda result: report.save(result, results_dir),
            profile=args.profile,
        )
        for result in results:
            failed |= not result.get("success")
            print(f"\n## {report.title(result)}\n")
            print(report.phase_table(result))
        produced += results
    print(report.summary_table(produced))
    if not args.no_markdown and results_dir == report.RESULTS_DIR:
        print(f"wrote {report.write_markdown(report.load(results_dir))}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
