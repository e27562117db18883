"""The same dbt project on a real local Spark gives the same marts as DuckDB (issue #16).

The tiny demo org's nightly run (DuckDB, the shared `tiny_nightly`) lands the raw tables;
they go to Parquet, into a local Spark's metastore, and `dbt build --target spark` builds
every model, seed and data test there (dbt-spark's `session` method in this process, one
Spark session for the module). Every mart and quarantine table is then compared row for
row with the DuckDB build of the same data, with the calendar the nightly resolved.

Tolerance: doubles are compared at 9 significant digits (tests/mart_fingerprints.py's
rule): the engines add floating-point values in different orders. Timestamps are compared
as UTC instants (both sessions run in UTC). Nothing else is loosened.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from decimal import Decimal

import duckdb
import pytest

from pipelines.calendar import recorded_calendar
from pipelines.warehouse import working_path
from tests.conftest import DEMO_AS_OF
from tests.mart_fingerprints import RUN_TIME_COLUMNS, SCHEMAS
from tests.spark import (
    NO_JAVA,
    dbt_on_spark,
    export_raw_to_parquet,
    java_missing,
    register_lake,
    spark_session,
)

# Not there yet: every model but marts.kpi_catalog_as_of (and the view kpi_catalog and
# history_kpi_values that read it) has built on Spark; that one runs the driver out of heap
# while planning (views over views are inlined into one plan). Until it builds, CI builds
# the staging layer (every source, cast and time-zone macro on real Spark data); the whole
# project and the row-for-row comparison run with TRUSTGAP_SPARK_FULL_BUILD=1 and are
# expected to fail (strict: the day they pass, the marker and the switch must go).
FULL_BUILD = os.environ.get("TRUSTGAP_SPARK_FULL_BUILD") == "1"
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
full_build_marks = [
    pytest.mark.skipif(
        not FULL_BUILD,
        reason="issue #16: kpi_catalog_as_of does not build on Spark yet "
        "(TRUSTGAP_SPARK_FULL_BUILD=1 runs the whole project)",
    ),
    pytest.mark.xfail(strict=True, reason="issue #16: not every model builds on Spark yet"),
]


def full_build_only(test):
    for mark in full_build_marks:
        test = mark(test)
    return test


@pytest.fixture(scope="module")
def spark_build(tiny_nightly, tmp_path_factory):
    """(spark session, dbt result, seconds) of `dbt build --target spark` on the tiny org."""
    if java_missing():
        if os.environ.get("CI"):
            pytest.fail(NO_JAVA)
        pytest.skip(NO_JAVA)
    work = tmp_path_factory.mktemp("spark")
    con = duckdb.connect(str(tiny_nightly.published), read_only=True)
    try:
        calendar = recorded_calendar(con)
    finally:
        con.close()
    saved = dict(os.environ)
    os.environ.update(calendar.environment() if calendar else {})
    started = time.monotonic()
    tables = export_raw_to_parquet(working_path(tiny_nightly.published), work / "lake")
    spark = spark_session(work)
    spark.sparkContext.setLogLevel("ERROR")
    register_lake(spark, work / "lake", tables)
    selection = [] if FULL_BUILD else ["--select", "+staging"]  # with its seeds
    result = dbt_on_spark(
        ["build", "--exclude-resource-type", "unit_test", *selection], work, DEMO_AS_OF
    )
    yield spark, result, time.monotonic() - started
    spark.stop()
    os.environ.clear()
    os.environ.update(saved)


def _failures(result, layer: str | None = None) -> list[str]:
    return [
        f"{r.node.unique_id}: {(r.message or '').splitlines()[0][:300]}"
        for r in result.result.results
        if str(r.status) in ("error", "fail", "runtime error")
        and (layer is None or layer in r.node.fqn)
    ]


def test_the_staging_layer_and_its_data_tests_build_on_spark(spark_build):
    _spark, result, seconds = spark_build
    failures = _failures(result, layer="staging")
    assert not failures, "\n".join(failures)
    built = [
        r
        for r in result.result.results
        if r.node.resource_type == "model" and "staging" in r.node.fqn and r.status == "success"
    ]
    assert len(built) >= 25, f"only {len(built)} models built"
    print(
        f"dbt build of {'every model' if FULL_BUILD else 'staging'} on local Spark: {seconds:.0f} s"
    )


@full_build_only
def test_dbt_builds_every_model_seed_and_data_test_on_spark(spark_build):
    _spark, result, seconds = spark_build
    assert not _failures(result), "\n".join(_failures(result))
    assert result.success
    print(f"dbt build on local Spark (tiny org): {seconds:.0f} s")


def _normal(value):
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, Decimal):
        return float(f"{float(value):.9g}")
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, list | tuple):
        return tuple(_normal(v) for v in value)
    return value


def _duckdb_tables(published) -> dict[str, list[str]]:
    con = duckdb.connect(str(published), read_only=True)
    try:
        rows = con.execute(
            "select table_schema || '.' || table_name, column_name from "
            "information_schema.columns join information_schema.tables using "
            "(table_catalog, table_schema, table_name) where table_schema in (select unnest(?)) "
            "and table_type = 'BASE TABLE' order by table_schema, table_name, ordinal_position",
            [list(SCHEMAS)],
        ).fetchall()
    finally:
        con.close()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        if column not in RUN_TIME_COLUMNS.get(table, set()):
            tables.setdefault(table, []).append(column)
    return tables


@full_build_only
def test_every_mart_is_row_for_row_the_same_as_on_duckdb(spark_build, tiny_nightly):
    spark, _result, _seconds = spark_build
    tables = _duckdb_tables(tiny_nightly.published)
    assert len(tables) == 13
    con = duckdb.connect(str(tiny_nightly.published), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    differing = {}
    try:
        for table, columns in tables.items():
            listed = ", ".join(f'"{c}"' for c in columns)
            on_duckdb = sorted(
                (
                    tuple(_normal(v) for v in row)
                    for row in con.sql(f"select {listed} from {table}").fetchall()
                ),
                key=repr,
            )
            spark_columns = ", ".join(f"`{c}`" for c in columns)
            on_spark = sorted(
                (
                    tuple(_normal(v) for v in row)
                    for row in spark.sql(f"select {spark_columns} from {table}").collect()
                ),
                key=repr,
            )
            if on_duckdb != on_spark:
                only_duckdb = [r for r in on_duckdb if r not in on_spark][:2]
                only_spark = [r for r in on_spark if r not in on_duckdb][:2]
                differing[table] = (len(on_duckdb), len(on_spark), only_duckdb, only_spark)
    finally:
        con.close()
    assert not differing, differing
