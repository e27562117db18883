"""A real local Spark for the engine tests (issue #16): one session per test module.

The dbt project's `spark` target (dbt_project/profiles.yml) uses dbt-spark's `session`
method, which takes the process's Spark session: the tests start it first, with the
profile's settings, then run dbt in-process, so dbt and the assertions share one JVM.
The raw tables reach Spark as Parquet (`export_raw_to_parquet`), registered in the
metastore under their DuckDB schema and name so every dbt source() resolves unchanged.
The proper lake export (partitioning, object stores) is the pipeline's; this is the
smallest one the tests need.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
# What the connectors land and dbt reads as sources.
RAW_SCHEMAS = ("raw_salesforce", "raw_hubspot", "sync_state")
NO_JAVA = (
    "no `java` on this machine: `make java` installs Debian's openjdk-17-jre-headless "
    "(it needs root or sudo); the Spark tests skip until then"
)


def java_missing() -> bool:
    """True where no JVM can start Spark. Under CI=true a missing JVM is a failure, not a
    skip: `make test` installs it first (`make java`)."""
    return shutil.which("java") is None and not os.environ.get("JAVA_HOME")


def export_raw_to_parquet(working_db: Path, lake: Path) -> list[tuple[str, str]]:
    """Every raw table of a DuckDB working file as <lake>/<schema>/<table>/part-0.parquet;
    returns the (schema, table) pairs written. Timestamps are written as UTC instants."""
    written = []
    con = duckdb.connect(str(working_db), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in (select unnest(?)) and table_type = 'BASE TABLE' "
            "order by 1, 2",
            [list(RAW_SCHEMAS)],
        ).fetchall()
        for schema, table in tables:
            folder = lake / schema / table
            folder.mkdir(parents=True, exist_ok=True)
            target = str(folder / "part-0.parquet").replace("'", "''")
            con.execute(f'copy "{schema}"."{table}" to \'{target}\' (format parquet)')
            written.append((schema, table))
    finally:
        con.close()
    return written


def spark_session(work: Path):
    """The local Spark session the `spark` dbt target uses: warehouse and Derby metastore
    under `work`, the profile's settings (2 cores, 2 shuffle partitions, UTC, ANSI)."""
    from pyspark.sql import SparkSession

    os.environ["TRUSTGAP_SPARK_DIR"] = str(work)
    (work / "warehouse").mkdir(parents=True, exist_ok=True)
    return (
        SparkSession.builder.enableHiveSupport()
        .master("local[2]")
        .appName("trustgap-tests")
        .config("spark.sql.warehouse.dir", str(work / "warehouse"))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={work}/metastore_db;create=true",
        )
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={work}")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "true")
        .getOrCreate()
    )


def register_lake(spark, lake: Path, tables: list[tuple[str, str]]) -> None:
    """Each exported table as a Parquet table of the metastore, under its own schema."""
    for schema, table in tables:
        spark.sql(f"create database if not exists {schema}")
        spark.sql(
            f"create table if not exists {schema}.`{table}` using parquet "
            f"location '{lake / schema / table}'"
        )


def dbt_on_spark(args: list[str], target_path: Path, as_of: str):
    """`dbt <args> --target spark` in this process (dbtRunner), on the running session."""
    from dbt.cli.main import dbtRunner

    return dbtRunner().invoke(
        [
            *args,
            "--target",
            "spark",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target_path / "target"),
            "--log-path",
            str(target_path / "logs"),
            "--vars",
            f"{{as_of: '{as_of}'}}",
        ]
    )
