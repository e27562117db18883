"""`python -m benchmarks.engines --sizes S,M`: the dbt build on DuckDB and on local Spark,
side by side on the same landed raw data (issue #16).

Per size: the demo org's nightly job runs once on DuckDB (the embedded demo CRM, as
`tests/conftest.run_nightly`), which lands the raw tables and records the calendar.
Then, each in a fresh process measured as a whole (its JVM included):

- duckdb: `dbt build` (models, seeds, data tests; no unit tests, as each night) on a
  copy of that working file, `--target dev`;
- spark:  the raw tables exported to a Parquet lake and registered in a local Spark
  (pipelines/engine/lake.py, spark_job.register: the nightly's own code), then the
  same `dbt build --target spark` in that Spark session (local[2], the profile's).

Figures per arm: wall seconds, CPU seconds of the whole process tree (user + system,
from wait4: the JVM and dbt included), peak RSS of the tree (sampled every 0.1 s),
the load averages before and after. On a machine shared with other work, wall time
is only indicative; CPU seconds and peak RSS are distorted less. Results go to
benchmarks/results/engines-<size>.json and a section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import machine, report
from benchmarks.harness import AS_OF, SIZES
from benchmarks.probe import run_measured

MB = 1024**2
ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "dbt_project"


def land(size: str, workdir: Path, seed: int = 7) -> tuple[Path, dict[str, str]]:
    """The nightly on DuckDB for the demo org of `size`: (working file, calendar env)."""
    import dagster as dg
    import duckdb

    from demo.definitions import defs
    from pipelines.calendar import recorded_calendar
    from pipelines.warehouse import working_path

    published = workdir / "warehouse" / "trustgap.duckdb"
    run_config = {
        "resources": {
            "crm": {"config": {"size": SIZES[size], "seed": seed}},
            "run_params": {"config": {"as_of": AS_OF.isoformat()}},
            "warehouse": {"config": {"path": str(published)}},
        },
        "loggers": {"console": {"config": {"log_level": "WARNING"}}},
    }
    with dg.DagsterInstance.ephemeral() as instance:
        result = (
            defs()
            .resolve_job_def("nightly")
            .execute_in_process(run_config=run_config, instance=instance)
        )
    if not result.success:
        raise RuntimeError(f"the {size} nightly on DuckDB failed; nothing to compare")
    with duckdb.connect(str(published), read_only=True) as con:
        calendar = recorded_calendar(con)
    return working_path(published), (calendar.environment() if calendar else {})


def measure(command: list[str], env: dict[str, str], log_path: Path) -> dict:
    """Run `command` in a fresh process; wall, tree CPU, tree peak RSS, load averages."""
    load_before = machine.load_average()
    with log_path.open("w") as log:
        run = run_measured(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    return {
        "exit_code": run.exit_code,
        "wall_s": round(run.wall_s, 1),
        "cpu_s": round(run.cpu_s, 1),
        "cpu_method": "tree",
        # Sampled only (`run_measured`): Linux carries the forking parent's RSS
        # high-water mark into an exec'd child's ru_maxrss, so wait4's figure was this
        # benchmark's own peak (the landed org, 3.5 GB on M) whatever the child used.
        "peak_rss_mb": round(run.peak_rss_bytes / MB),
        "load_average_before": load_before,
        "load_average_after": machine.load_average(),
    }


def _dbt_args(target: str, target_path: Path) -> list[str]:
    return [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--target",
        target,
        "--project-dir",
        str(PROJECT),
        "--profiles-dir",
        str(PROJECT),
        "--target-path",
        str(target_path / "target"),
        "--log-path",
        str(target_path / "logs"),
        "--vars",
        f"{{as_of: '{AS_OF.isoformat()}'}}",
    ]


def spark_arm(working: Path, work: Path) -> int:
    """The Spark arm, in this process: lake export, registration, dbt build on Spark."""
    from dbt.cli.main import dbtRunner

    from pipelines.engine import lake, spark_job, spark_steps

    spark_dir = work / "spark"
    lake_dir = work / "lake"
    os.environ.update(
        TRUSTGAP_SPARK_DIR=str(spark_dir),
        TRUSTGAP_LAKE_DIR=str(lake_dir),
        TRUSTGAP_SCHEMA_PREFIX="build_",
    )
    manifest = PROJECT / "target" / "manifest.json"
    exported = lake.export_raw_tables(
        working, str(lake_dir), spark_steps.landed_sources(manifest), run_id="bench"
    )
    spark = spark_job.session(spark_dir)
    spark_job.register(
        spark, [{"schema": t.schema, "name": t.name, "location": t.location} for t in exported]
    )
    result = dbtRunner().invoke(_dbt_args("spark", work))
    spark.stop()
    return 0 if result.success else 1


def run_size(size: str, workdir: Path, log=print) -> dict:
    base = workdir / size
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    started = time.perf_counter()
    working, calendar = land(size, base / "landing")
    log(f"{size}: landed on DuckDB in {time.perf_counter() - started:.0f} s")
    env = {
        **os.environ,
        **calendar,
        "GX_ANALYTICS_ENABLED": "False",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    arms = {}
    duck = base / "duckdb"
    duck.mkdir()
    copy = duck / "trustgap.working.duckdb"
    shutil.copyfile(working, copy)
    dbt = str(Path(sys.executable).with_name("dbt"))
    arms["duckdb"] = measure(
        [dbt, *_dbt_args("dev", duck)],
        {**env, "TRUSTGAP_WORKING_DB": str(copy)},
        duck / "run.log",
    )
    log(f"{size} duckdb: {arms['duckdb']}")
    spark = base / "spark"
    spark.mkdir()
    arms["spark"] = measure(
        [sys.executable, "-m", "benchmarks.engines", "--spark-arm", str(working), str(spark)],
        env,
        spark / "run.log",
    )
    log(f"{size} spark: {arms['spark']}")
    return {
        "size": size,
        "generator_size": SIZES[size],
        "as_of": AS_OF.isoformat(),
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine.describe(),
        "spark_master": os.environ.get("TRUSTGAP_SPARK_MASTER", "local[2]"),
        "raw_rows": _raw_rows(working),
        "arms": arms,
    }


def _raw_rows(working: Path) -> int:
    import duckdb

    with duckdb.connect(str(working), read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('raw_salesforce', 'raw_hubspot')"
        ).fetchall()
        return sum(con.execute(f'select count(*) from {s}."{t}"').fetchone()[0] for s, t in tables)


def save(result: dict, directory: Path = report.RESULTS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"engines-{result['size']}.json"
    path.write_text(json.dumps(result, indent=2, sort_keys=True))
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="S", help="comma-separated: T, S, M, L")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/trustgap-bench-engines"))
    parser.add_argument("--spark-arm", nargs=2, metavar=("WORKING", "WORK"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.spark_arm:
        sys.exit(spark_arm(Path(args.spark_arm[0]), Path(args.spark_arm[1])))
    for size in args.sizes.split(","):
        result = run_size(size.strip().upper(), args.workdir)
        print(f"wrote {save(result)}")
    report.write_markdown(report.load())
    print(f"updated {report.RESULTS_MD}")


if __name__ == "__main__":
    main()
