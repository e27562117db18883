"""The Spark branches of the nightly's steps (pipelines/defs/): before and after dbt, publish.

1. `prepare_build`: the raw tables to the lake (pipelines/engine/lake.py), registered
   as Spark tables; returns what the dbt process needs in its environment.
2. dbt builds with `--target spark` into the build_* schemas.
3. `read_marts_back`: the built marts and quarantine, read through Spark and loaded
   into the run's working DuckDB file, where the same great-expectations suites and
   quarantine checks judge them as on DuckDB (one definition of each check).
4. `publish`: only reached when every blocking check passed; the published views swap
   to copies of the build (pipelines/engine/spark_job.py publish).
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pyarrow.dataset as ds

from connectors.errors import TrustgapError
from pipelines import quarantine
from pipelines import warehouse as wh
from pipelines.engine import lake, spark
from pipelines.engine.spark import BUILD_PREFIX, run_job
from pipelines.engine.spark_job import SUMMARY_QUERY
from pipelines.settings import Settings

# dbt sources the Spark run keeps itself rather than reading from the landing.
SPARK_OWNED_SOURCES = ("trustgap_meta",)


def landed_sources(manifest_path: Path) -> list[tuple[str, str]]:
    """(schema, table) of every dbt source the connectors land: what the lake must hold."""
    manifest = json.loads(Path(manifest_path).read_text())
    return sorted(
        {
            (source["schema"], source["identifier"])
            for source in manifest["sources"].values()
            if source["schema"] not in SPARK_OWNED_SOURCES
        }
    )


def prepare_build(
    log, working: Path, published: Path, settings: Settings, *, manifest: Path, run_id: str
) -> dict[str, str]:
    """Export and register the raw tables; the dbt process's Spark environment."""
    lake_url = settings.lake(published)
    spark_dir = settings.spark_dir(published)
    exported = lake.export_raw_tables(working, lake_url, landed_sources(manifest), run_id=run_id)
    rows = sum(t.rows for t in exported)
    log.info(f"Lake: {len(exported)} raw tables, {rows:,} rows as Parquet under {lake_url}")
    run_job(
        spark_dir,
        "register",
        tables=[{"schema": t.schema, "name": t.name, "location": t.location} for t in exported],
    )
    return {
        "TRUSTGAP_SPARK_DIR": str(spark_dir),
        "TRUSTGAP_LAKE_DIR": lake_url,
        "TRUSTGAP_SCHEMA_PREFIX": BUILD_PREFIX,
    }


def read_marts_back(log, working: Path, spark_dir: Path, *, run_id: str) -> dict[str, int]:
    """Load the Spark build's marts and quarantine into `working`, in Arrow batches.

    They replace the working file's tables of the same name, so the checks that follow
    read what Spark built. Returns each table's row count.
    """
    folder = spark_dir / "read_back" / run_id
    extra = [screened for _, screened in quarantine.TABLES.values()]
    try:
        written = run_job(spark_dir, "read_back", out_dir=str(folder), extra=extra)
        counts = load_parquet_tables(working, written)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    log.info(f"Read back through Spark for the checks: {len(counts)} tables")
    return counts


def load_parquet_tables(working: Path, written: dict[str, str]) -> dict[str, int]:
    """Each schema.table -> Parquet folder of `written` as that table of `working`."""
    counts = {}
    with wh.connect(working) as con:
        for table, path in written.items():
            schema, name = table.split(".")
            batches = ds.dataset(path, format="parquet").scanner().to_reader()
            con.execute(f"create schema if not exists {schema}")
            con.register("spark_rows", batches)
            con.execute(f'create or replace table {schema}."{name}" as from spark_rows')
            con.unregister("spark_rows")
            (counts[table],) = con.execute(f'select count(*) from {schema}."{name}"').fetchone()
    return counts


class ChecksFailedError(TrustgapError):
    """A blocking check of the run failed: the Spark publish refuses to swap."""


def publish(
    spark_dir: Path,
    *,
    run_id: str,
    as_of: str,
    source: str,
    checks: list[wh.CheckOutcome],
    working: Path | None = None,
) -> dict:
    """Swap the published views to this run's build (see spark_job.publish).

    Dagster does not start the publish after a failed blocking check; this refuses
    too, so a check made non-blocking by mistake cannot publish a broken build.
    With `working` (the run's DuckDB file, which holds the build read back through
    Spark and the landings), what `trustgap status` reports is kept beside the
    catalog with the publish's own counts (status_facts).
    """
    failed = [c for c in checks if not c.passed and c.severity == "ERROR"]
    if failed:
        names = ", ".join(f"{c.asset} {c.check_name}" for c in failed[:10])
        raise ChecksFailedError(
            f"Not published: {len(failed)} blocking check(s) failed ({names}); "
            "the Spark catalog's marts are still the previous run's."
        )
    facts = status_facts(working) if working is not None else {}
    result = run_job(spark_dir, "publish", run_id=run_id, as_of=as_of, source=source)
    # The summary printed after the run and `trustgap status` read from here (no JVM).
    kept = {
        **result,
        **facts,
        "run_id": run_id,
        "as_of": as_of,
        "source": source,
        "checks": [[c.asset, c.check_name, c.severity, c.passed, c.description] for c in checks],
    }
    pending = spark_dir / f".{LAST_PUBLISH}.tmp"
    pending.write_text(json.dumps(kept, default=str))
    pending.replace(spark_dir / LAST_PUBLISH)
    return result


LAST_PUBLISH = "last_publish.json"


def status_facts(working: Path) -> dict:
    """What `trustgap status` shows beyond the publish's counts, from the run's working
    file: the same build the publish copies (read back through Spark for the checks),
    and the landings. On DuckDB the same facts are read from the published file."""
    from dataclasses import asdict

    from pipelines import calendar, freshness

    with wh.connect(working) as con:
        landings = freshness.raw_table_landings(con)
        quarantined = [asdict(q) for q in quarantine.counts(con)]
        reconciliation = None
        if wh.has_table(con, "marts", "pipeline_reconciliation"):
            cursor = con.execute("select * from marts.pipeline_reconciliation")
            names = [column[0] for column in cursor.description]
            row = cursor.fetchone()
            if row:  # amounts as numbers in the JSON (Decimal would become text)
                values = [float(v) if isinstance(v, Decimal) else v for v in row]
                reconciliation = dict(zip(names, values, strict=True))
        chosen = calendar.recorded_calendar(con)
    return {
        "landings": {table: moment.isoformat() for table, moment in landings.items()},
        "quarantine": quarantined,
        "reconciliation": reconciliation,
        "calendar": [chosen.describe(), chosen.warning] if chosen else None,
    }


def query(spark_dir: Path, sql: str) -> dict:
    """`sql`'s columns and rows, run on the local Spark's catalog."""
    return run_job(spark_dir, "query", sql=sql)


EXAMPLE_QUERY = "select * from marts.kpi_catalog"


def summary(spark_dir: Path, elapsed: float, python: str) -> str:
    """What `trustgap run`/`demo` prints after a Spark run: where the marts are, how to query."""
    last = spark_dir / LAST_PUBLISH
    if last.exists():
        as_of, deals, open_deals, quarantined = json.loads(last.read_text())["summary"]
    else:  # a catalog published before the publish kept its summary
        (counts,) = run_job(spark_dir, "sql", statements=[SUMMARY_QUERY])["results"]
        as_of, deals, open_deals, quarantined = counts["rows"][0]
    return "\n".join(
        [
            f"\nNightly run succeeded on Spark in {elapsed:.1f} s (as of {as_of}).",
            f"Deals: {deals:,} ({open_deals:,} open); quarantined deals: {quarantined:,}",
            "Published on Spark: views marts.* and quarantine.* (each over a versioned copy "
            f"in {spark.VERSIONS_SCHEMA}.*)",
            f"  Spark warehouse: {spark_dir / 'warehouse'}",
            f"  metastore:       {spark_dir / 'metastore_db'} (Derby: one Spark process at a time)",
            "Next:",
            f'  query:   {python} -m pipelines.engine.spark_sql {spark_dir} "{EXAMPLE_QUERY}"',
            "  report:  skipped on Spark (the trust report reads the published DuckDB file)",
        ]
    )
