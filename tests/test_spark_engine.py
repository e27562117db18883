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
import json
import os
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

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

# One Spark session and one `dbt build` for the module (a JVM start and a parse cost
# seconds each): every test below reads that build.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


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
    # Every model, seed, contract and data test, as the nightly builds on DuckDB; the unit
    # tests run after it (test_the_unit_tests_pass_on_spark), so that a formula's
    # difference fails its own test rather than skipping its model here.
    result = dbt_on_spark(["build", "--exclude-resource-type", "unit_test"], work, DEMO_AS_OF)
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


def test_dbt_builds_every_model_seed_and_test_on_spark(spark_build):
    _spark, result, seconds = spark_build
    assert not _failures(result), "\n".join(_failures(result))
    assert result.success
    done = Counter(
        (r.node.resource_type, str(r.status))
        for r in result.result.results
        if str(r.status) in ("success", "pass", "warn")
    )
    assert done[("model", "success")] == _buildable_models(spark_build_dir(result))
    # 107 data tests on the tiny org (keys are one primary_key test each, and a raw key
    # staging only renames is the landing contract's to check; issue #17)
    assert done[("test", "pass")] + done[("test", "warn")] >= 101
    print(f"dbt build on local Spark (tiny org): {seconds:.0f} s")


# The unit tests that do not pass on Spark yet, each with its reason. Strict: a new
# failure fails the test, and so does one listed here that passes (then remove it).
NOT_YET_ON_SPARK = {
    # A `given` row holds a DuckDB list literal ("[CEO, DIR]") that Spark cannot cast
    # to array<string>: the fixture, not the formula (needs a `format: sql` fixture).
    "unit_test.trustgap.int_user_leaders.int_user_leaders_every_ancestor_with_distance",
}


def test_the_unit_tests_pass_on_spark(spark_build, monkeypatch):
    """Every unit test pins a formula on hand-made rows: the same rows out on Spark."""
    _spark, result, _seconds = spark_build
    # The unit tests pin their own calendar (UTC, January), as `make test` runs them on
    # DuckDB: not the demo org's run calendar the build above used.
    for name in (
        "TRUSTGAP_FISCAL_YEAR_START_MONTH",
        "TRUSTGAP_FISCAL_QUARTERS",
        "TRUSTGAP_TIMEZONE",
    ):
        monkeypatch.delenv(name, raising=False)
    started = time.monotonic()
    tested = dbt_on_spark(
        ["test", "--select", "test_type:unit"],
        spark_build_dir(result).parent / "unit",
        DEMO_AS_OF,
    )
    units = [r for r in tested.result.results if r.node.resource_type == "unit_test"]
    outcomes = Counter(str(r.status) for r in units)
    print(f"unit tests on local Spark: {dict(outcomes)} in {time.monotonic() - started:.0f} s")
    failed = {
        r.node.unique_id: (r.message or "")[:2000]
        for r in units
        if str(r.status) in ("error", "fail", "runtime error")
    }
    assert set(failed) == NOT_YET_ON_SPARK, failed
    assert outcomes["pass"] == len(units) - len(NOT_YET_ON_SPARK)
    assert outcomes["pass"] >= 80


def spark_build_dir(result):
    return Path(result.result.args["target_path"])


def _buildable_models(target: Path) -> int:
    """Models of the project that make a relation (ephemeral ones are inlined)."""
    manifest = json.loads((target / "manifest.json").read_text())
    return sum(
        1
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] != "ephemeral"
    )


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


def test_an_org_chart_csv_is_read_on_spark_as_on_duckdb(spark_build, tmp_path, monkeypatch):
    """TRUSTGAP_ORG_CHART names a CSV (here without the optional team column): Spark reads
    it through an external CSV table (macros/engine/files.sql), every value text."""
    spark, result, _seconds = spark_build
    chart = tmp_path / "org chart.csv"
    chart.write_text(
        "User_Email,Manager_Email\n"
        " Rep.One@Example.com ,Lead@Example.com\n"
        "lead@example.com,\n"
        ",nobody@example.com\n"
    )
    monkeypatch.setenv("TRUSTGAP_ORG_CHART", str(chart))
    monkeypatch.setenv("TRUSTGAP_SCHEMA_PREFIX", "csv_")
    built = dbt_on_spark(
        ["run", "--select", "stg_org_chart__managers"],
        spark_build_dir(result).parent / "csv",
        DEMO_AS_OF,
    )
    assert built.success, _failures(built)
    rows = spark.sql(
        "select user_email, manager_email, team from csv_staging.stg_org_chart__managers "
        "order by user_email"
    ).collect()
    assert [tuple(r) for r in rows] == [
        ("lead@example.com", None, None),
        ("rep.one@example.com", "lead@example.com", None),
    ]
