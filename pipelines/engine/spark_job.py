"""`python -m pipelines.engine.spark_job OPERATION`: one Spark step, JSON in and out.

Reads {"spark_dir": ..., "arguments": {...}} on stdin, prints the result as JSON on
its last stdout line; a failure prints {"error": reason} there and exits 1.
Started by pipelines.engine.spark.run_job (see there why in a process of its own).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from pipelines.engine.spark import (
    BUILD_PREFIX,
    HISTORY_KEY,
    HISTORY_RUN_SCHEMA,
    HISTORY_SCHEMA,
    PUBLISHED_SCHEMAS,
    VERSIONS_SCHEMA,
    session_conf,
)


def session(spark_dir: Path):
    """The local Spark session, with the dbt profile's settings and metastore."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("trustgap-job").enableHiveSupport()
    for key, value in session_conf(spark_dir).items():
        builder = builder.config(key, value)
    # The checks read the marts back as Parquet; INT96 (Spark's default) is legacy.
    builder = builder.config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def register(spark, tables: list[dict]) -> dict:
    """The lake's raw tables as external Parquet tables under their DuckDB schema and name.

    Dropped and created again each run: an external table's drop keeps its files, and
    a new CRM field reaches Spark's schema of the table.
    """
    for table in tables:
        schema, name, location = table["schema"], table["name"], table["location"]
        spark.sql(f"create database if not exists {schema}")
        spark.sql(f"drop table if exists {schema}.`{name}`")
        spark.sql(f"create table {schema}.`{name}` using parquet location '{location}'")
    return {"registered": len(tables)}


def read_back(spark, out_dir: str, extra: list[str] = ()) -> dict:
    """The tables the checks read, as Parquet in `out_dir`: every table built in the
    published layers' build schemas, plus `extra` (schema.table, e.g. the quarantine's
    denominators in intermediate)."""
    tables = [f"{s}.{n}" for s in PUBLISHED_SCHEMAS for n in _tables(spark, BUILD_PREFIX + s)]
    written = {}
    for table in [*tables, *extra]:
        schema, name = table.split(".")
        path = f"{out_dir}/{schema}/{name}"
        spark.table(f"{BUILD_PREFIX}{schema}.`{name}`").write.mode("overwrite").parquet(path)
        written[table] = path
    return written


def sql(spark, statements: list[str]) -> dict:
    """Run `statements` in order; each one's rows (tests and one-off maintenance)."""
    return {"results": [query(spark, statement) for statement in statements]}


def publish(spark, run_id: str, as_of: str, source: str, keep: int = 2) -> dict:
    """Copy each built table to a new version, then point its published view at it.

    Each `create or replace view` is one metastore update: a reader of marts.x sees
    the previous version or the new one, whole. Versions older than `keep` are
    dropped (the previous one stays for queries still reading it).

    The history (`history.<table>`, as on DuckDB: pipelines/history.py) is versioned
    the same way: the new version is the run's rows (`build_history_run.<table>`) plus
    the previous version's rows of every other as-of date, and moves with the marts.
    So a failed publish adds nothing, and a retry of the same date (or a re-run of
    it) replaces that date's rows instead of appending them twice.
    """
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    version = f"v{stamp}_{run_id.replace('-', '')[:8]}"
    spark.sql(f"create database if not exists {VERSIONS_SCHEMA}")
    built = {s: _tables(spark, BUILD_PREFIX + s) for s in PUBLISHED_SCHEMAS}
    if not any(built.values()):
        raise RuntimeError("nothing to publish: dbt built no table in the build_* schemas")
    try:
        for schema, names in built.items():
            for name in names:
                spark.sql(
                    f"create table {VERSIONS_SCHEMA}.{schema}__{name}__{version} using parquet "
                    f"as select * from {BUILD_PREFIX}{schema}.`{name}`"
                )
        built[HISTORY_SCHEMA] = _write_history(spark, as_of, version)
    except Exception:
        # Nothing is visible yet; the half-written version would only count as one.
        for table in _tables(spark, VERSIONS_SCHEMA):
            if table.endswith(f"__{version}"):
                spark.sql(f"drop table {VERSIONS_SCHEMA}.{table}")
        raise
    # Every copy is written before the first view moves: a failure above publishes nothing.
    published = {}
    for schema, names in built.items():
        spark.sql(f"create database if not exists {schema}")
        for name in names:
            spark.sql(
                f"create or replace view {schema}.`{name}` as "
                f"select * from {VERSIONS_SCHEMA}.{schema}__{name}__{version}"
            )
            published[f"{schema}.{name}"] = version
    # The run log kpi_catalog reads its published_at from (as publish() on DuckDB),
    # one row per run: a retried publish of the same run does not add a second.
    spark.sql("create database if not exists trustgap_meta")
    spark.sql(
        "create table if not exists trustgap_meta.runs (run_id string, as_of date, "
        "source string, published_at timestamp) using parquet"
    )
    spark.sql(
        "insert into trustgap_meta.runs select ?, to_date(?), ?, current_timestamp() "
        "where not exists (select 1 from trustgap_meta.runs where run_id = ?)",
        args=[run_id, as_of, source, run_id],
    )
    for old in _versions(spark)[:-keep]:
        for table in _tables(spark, VERSIONS_SCHEMA):
            if table.endswith(f"__{old}"):
                spark.sql(f"drop table {VERSIONS_SCHEMA}.{table}")
    # What the run's printed summary and `trustgap status` show, read here: another
    # JVM start costs seconds.
    (counts,) = query(spark, SUMMARY_QUERY)["rows"]
    history = {
        name: spark.table(f"{HISTORY_SCHEMA}.`{name}`").count() for name in built[HISTORY_SCHEMA]
    }
    dates = [None, None, None]
    if "rep_hygiene" in history:
        (dates,) = query(spark, HISTORY_DATES_QUERY)["rows"]
    return {
        "version": version,
        "tables": published,
        "summary": counts,
        "history": history,
        "history_dates": dates,
        "published_at": spark.sql(
            "select string(published_at) from trustgap_meta.runs where run_id = ?", args=[run_id]
        ).first()[0],
    }


def _write_history(spark, as_of: str, version: str) -> list[str]:
    """Each history table's new version (not yet visible); the tables written."""
    names = _tables(spark, BUILD_PREFIX + HISTORY_RUN_SCHEMA)
    previous = set(_tables(spark, HISTORY_SCHEMA))
    for name in names:
        rows = spark.table(f"{BUILD_PREFIX}{HISTORY_RUN_SCHEMA}.`{name}`")
        if HISTORY_KEY not in rows.columns:
            raise ValueError(f"{HISTORY_RUN_SCHEMA}.{name} has no {HISTORY_KEY} column")
        if name in previous:
            # The run's date replaces its earlier rows, even where it brings none (say
            # a date without directors), as on DuckDB.
            kept = spark.table(f"{HISTORY_SCHEMA}.`{name}`")
            kept = kept.where(kept[HISTORY_KEY] != dt.date.fromisoformat(as_of))
            # By name, as on DuckDB: a column a mart gained reads null on older dates,
            # one it lost keeps its old values; nothing recorded is dropped.
            rows = rows.unionByName(kept, allowMissingColumns=True)
        rows.orderBy(HISTORY_KEY).write.format("parquet").saveAsTable(
            f"{VERSIONS_SCHEMA}.{HISTORY_SCHEMA}__{name}__{version}"
        )
    # A history table no run writes any more keeps its last version's view as it is.
    return names


# How many as-of dates the history holds, and its first and last (`trustgap status`).
HISTORY_DATES_QUERY = (
    f"select count(distinct {HISTORY_KEY}), string(min({HISTORY_KEY})), "
    f"string(max({HISTORY_KEY})) from {HISTORY_SCHEMA}.rep_hygiene"
)


# The published as-of date, deals, open deals and quarantined deals (spark_steps.summary).
SUMMARY_QUERY = (
    "select (select string(max(as_of)) from trustgap_meta.runs),"
    " (select count(*) from marts.fct_deals),"
    " (select count(*) from marts.fct_deals where not is_closed),"
    " (select count(*) from quarantine.deals)"
)


def query(spark, sql: str) -> dict:
    """Rows of `sql`, as JSON-safe lists (for the demo and the tests)."""
    frame = spark.sql(sql)
    return {
        "columns": frame.columns,
        "rows": [[_json_value(v) for v in row] for row in frame.collect()],
    }


def _tables(spark, schema: str) -> list[str]:
    if not spark.catalog.databaseExists(schema):
        return []
    return sorted(t.name for t in spark.catalog.listTables(schema) if not t.isTemporary)


def _versions(spark) -> list[str]:
    """The published versions, oldest first (their names start with the UTC time)."""
    return sorted({t.rsplit("__", 1)[1] for t in _tables(spark, VERSIONS_SCHEMA) if "__" in t})


def _json_value(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


OPERATIONS = {
    "register": register,
    "read_back": read_back,
    "publish": publish,
    "query": query,
    "sql": sql,
}


def main() -> None:
    operation = OPERATIONS[sys.argv[1]]
    request = json.loads(sys.stdin.read())
    spark = session(Path(request["spark_dir"]))
    try:
        result = operation(spark, **request["arguments"])
    except Exception as exc:  # the parent raises SparkStepError with this reason
        result = {"error": f"{type(exc).__name__}: {' '.join(str(exc).split())}"}
    finally:
        spark.stop()
    print(json.dumps(result))
    sys.exit(1 if "error" in result else 0)


if __name__ == "__main__":
    main()
