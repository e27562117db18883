"""History benchmark: `python -m benchmarks.history --sizes S,M [--weeks 13]`.

For each demo size: a nightly run into an empty warehouse (the first date of
history), a second nightly run on the same date (history carried forward and that
date replaced), then `trustgap backfill` of `--weeks` weekly as-of dates before it.
Every step runs as its own `trustgap` process, as a user runs it; the figures are
wall time, the process's peak memory, and the sizes of the published file (marts,
history, quarantine, run metadata) and the working file (which also holds the raw
CRM copy, and which the published file used to be a copy of). Results go to
benchmarks/results/history-<size>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import report
from benchmarks.harness import AS_OF, SIZES
from benchmarks.machine import describe
from benchmarks.probe import run_measured


def _run(command: list[str], env: dict[str, str]) -> dict:
    # Sampled (`run_measured`), not RUSAGE_CHILDREN's ru_maxrss: that is the largest
    # of any child so far and, on Linux, at least this process's own high-water mark.
    run = run_measured(command, env=env, stderr=subprocess.STDOUT)
    if run.exit_code != 0:
        sys.stderr.write(run.output.decode(errors="replace")[-8000:])
        raise SystemExit(f"{' '.join(command)} failed with exit code {run.exit_code}")
    return {"wall_s": round(run.wall_s, 1), "peak_rss_mb": round(run.peak_rss_bytes / 1024**2)}


def measure(size: str, weeks: int, workdir: Path) -> dict:
    generator_size = SIZES[size]
    published = workdir / size / "trustgap.duckdb"
    working = published.with_name("trustgap.working.duckdb")
    env = {**os.environ, "DAGSTER_HOME": str(workdir / size / "dagster_home")}
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    trustgap = str(Path(sys.executable).with_name("trustgap"))
    nightly = [
        trustgap,
        *("demo", "--size", generator_size, "--as-of", AS_OF.isoformat()),
        *("--warehouse", str(published)),
    ]
    result: dict = {"size": size, "as_of": AS_OF.isoformat(), "weeks": weeks}
    print(f"[{size}] nightly run (empty history) ...", file=sys.stderr, flush=True)
    result["first_nightly"] = _run(nightly, env)
    print(f"[{size}] nightly run again (history carried forward) ...", file=sys.stderr, flush=True)
    result["nightly_with_history"] = _run(nightly, env)
    result["published_mb"] = round(published.stat().st_size / 1e6, 1)
    result["working_mb"] = round(working.stat().st_size / 1e6, 1)
    start = AS_OF - dt.timedelta(weeks=weeks)
    end = AS_OF - dt.timedelta(weeks=1)
    print(f"[{size}] backfill {start} .. {end} every week ...", file=sys.stderr, flush=True)
    backfill = [
        trustgap,
        *("backfill", "--from", start.isoformat(), "--to", end.isoformat(), "--every", "week"),
        *("--warehouse", str(published)),
    ]
    result["backfill"] = _run(backfill, env)
    result["backfill"]["per_date_s"] = round(result["backfill"]["wall_s"] / weeks, 1)
    result["published_mb_after_backfill"] = round(published.stat().st_size / 1e6, 1)
    import duckdb

    with duckdb.connect(str(published), read_only=True) as con:
        tables = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'history' order by 1"
        ).fetchall()
        result["history_rows"] = {
            table: con.execute(f"select count(*) from history.{table}").fetchone()[0]
            for (table,) in tables
        }
        result["history_dates"] = con.execute(
            "select count(distinct as_of) from history.rep_hygiene"
        ).fetchone()[0]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.history", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="S,M", help="comma-separated: T, S, M, L")
    parser.add_argument("--weeks", type=int, default=13, help="weekly as-of dates to backfill")
    parser.add_argument("--workdir", help="where warehouses go (default: a temp dir)")
    parser.add_argument("--results", default=str(report.RESULTS_DIR), help="JSON output folder")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="trustgap-history-"))
    results_dir = Path(args.results)
    results_dir.mkdir(parents=True, exist_ok=True)
    for size in [s.strip().upper() for s in args.sizes.split(",") if s.strip()]:
        result = {**measure(size, args.weeks, workdir), "machine": describe()}
        (results_dir / f"history-{size}.json").write_text(json.dumps(result, indent=2) + "\n")
        print(
            f"{size}: nightly {result['first_nightly']['wall_s']} s, again with history "
            f"{result['nightly_with_history']['wall_s']} s; backfill of {args.weeks} weekly "
            f"dates {result['backfill']['wall_s']} s ({result['backfill']['per_date_s']} s "
            f"per date); published {result['published_mb']} MB, working "
            f"{result['working_mb']} MB; history holds {result['history_dates']} dates"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
