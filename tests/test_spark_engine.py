"""The demo end to end on a real local Spark, once, and everything Spark-side hung on it
(issue #16).

`TRUSTGAP_ENGINE=spark trustgap demo --size tiny` runs once for the module, as a user
runs it (its own process; the real Dagster nightly job: landing, the raw tables to the
lake, `dbt build --target spark`, the checks on the marts read back through Spark, the
publish that swaps the views). Then one Spark session in this process opens the
catalog that run published (its Derby metastore takes one JVM at a time, and the run's
JVMs are gone by then), and every test below reads it:

- the run's printed summary says where the marts are, with the tiny org's numbers;
- every published mart and quarantine table equals the DuckDB build of the same org
  (the shared `tiny_nightly`) row for row;
- the dbt unit tests pass on Spark (in this process, on the run's built relations);
- a failed blocking check refuses the publish and leaves the published marts as they were;
- the publish wrote the run's history (history.*, the same row counts as DuckDB's), and
  `trustgap status` on Spark says what DuckDB's says about the same org;
- a publish that fails half-way leaves marts, history and run log as they were, and
  its retry replaces the date's history rows instead of appending them twice.

Tolerance: doubles are compared at 9 significant digits (tests/mart_fingerprints.py's
rule): the engines add floating-point values in different orders. Timestamps are compared
as UTC instants (both sessions run in UTC). Nothing else is loosened.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from expectations import load_suite, validate_table
from pipelines import quarantine
from pipelines import warehouse as wh
from pipelines.engine import spark_job, spark_steps
from pipelines.engine.spark import BUILD_PREFIX, VERSIONS_SCHEMA
from tests.conftest import DEMO_AS_OF
from tests.mart_fingerprints import RUN_TIME_COLUMNS, SCHEMAS
from tests.spark import NO_JAVA, TEST_JAVA_OPTIONS, dbt_on_spark, java_missing

# The demo plants a deal worth zero (demo/org/planted.py); a team's stricter suite
# turns it into a blocking failure, as in tests/test_publishing.py.
from tests.test_publishing import STRICT_SUITE

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@dataclass
class SparkDemo:
    """The finished `trustgap demo` on Spark: what it printed and where it published."""

    returncode: int
    stdout: str
    stderr: str
    published: Path
    spark_dir: Path
    seconds: float
    cpu_seconds: float

    def log(self) -> str:
        """The run's full log file (every step's line, dbt's nodes)."""
        return "".join(p.read_text() for p in (self.published.parent / "logs").glob("*.log"))


@pytest.fixture(scope="module")
def spark_demo(tmp_path_factory) -> SparkDemo:
    """`TRUSTGAP_ENGINE=spark trustgap demo --size tiny` as of the shared run's date."""
    if java_missing():
        if os.environ.get("CI"):
            pytest.fail(NO_JAVA)
        pytest.skip(NO_JAVA)
    tmp = tmp_path_factory.mktemp("spark_demo")
    published = tmp / "warehouse" / "trustgap.duckdb"
    env = {
        **os.environ,
        "TRUSTGAP_ENGINE": "spark",
        "DAGSTER_HOME": str(tmp / "dagster_home"),
        "TRUSTGAP_SPARK_JAVA_OPTIONS": TEST_JAVA_OPTIONS,
    }
    for name in ("TRUSTGAP_LAKE_URL", "TRUSTGAP_DBT_TARGET", "TRUSTGAP_SCHEMA_PREFIX"):
        env.pop(name, None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pipelines.cli", "demo", "--size", "tiny"),
            *("--as-of", DEMO_AS_OF, "--warehouse", str(published)),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=1500,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    demo = SparkDemo(
        done.returncode,
        done.stdout,
        done.stderr,
        published,
        published.parent / "spark",
        time.monotonic() - started,
        cpu,
    )
    print(f"Spark demo: {demo.seconds:.0f} s wall, {cpu:.0f} CPU s (reaped children; not the JVMs)")
    return demo


@pytest.fixture(scope="module")
def spark(spark_demo):
    """One Spark session in this process on the catalog the demo published."""
    if spark_demo.returncode != 0:
        pytest.fail(f"the Spark demo failed:\n{spark_demo.stderr[-3000:]}")
    settings = {
        # The profile's `spark` target (dbt's session method) takes this session as it is.
        "TRUSTGAP_SPARK_DIR": str(spark_demo.spark_dir),
        "TRUSTGAP_SPARK_JAVA_OPTIONS": TEST_JAVA_OPTIONS,
    }
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    session = spark_job.session(spark_demo.spark_dir)
    yield session
    session.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def test_the_spark_demo_runs_end_to_end_and_says_where_the_marts_are(spark_demo, tiny_nightly):
    assert spark_demo.returncode == 0, spark_demo.stderr[-3000:]
    ((deals, open_deals),) = tiny_nightly.query(
        "select count(*), count(*) filter (where not is_closed) from marts.fct_deals"
    )
    ((quarantined,),) = tiny_nightly.query("select count(*) from quarantine.deals")
    printed = spark_demo.stdout
    assert "Nightly run succeeded on Spark in " in printed
    assert f"(as of {DEMO_AS_OF})." in printed
    assert f"Deals: {deals:,} ({open_deals:,} open); quarantined deals: {quarantined:,}" in printed
    assert f"Spark warehouse: {spark_demo.spark_dir / 'warehouse'}" in printed
    assert f'-m pipelines.engine.spark_sql {spark_demo.spark_dir} "select' in printed
    log = spark_demo.log()
    # The checks ran on what Spark built, and the publish came after them.
    assert "Read back through Spark for the checks" in log
    assert "Published " in log and " tables on Spark as version v" in log
    assert "Trust report skipped" in log


def test_the_sessions_jvm_runs_with_the_java_options_setting(spark):
    # TRUSTGAP_SPARK_JAVA_OPTIONS reached the driver's command line (session_conf).
    runtime = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
    arguments = set(runtime.getInputArguments())
    assert set(TEST_JAVA_OPTIONS.split()) <= arguments
    assert f"-Dderby.system.home={os.environ['TRUSTGAP_SPARK_DIR']}" in arguments


def test_every_published_view_points_at_one_new_version(spark, tiny_nightly):
    # SHOW TABLES / SHOW VIEWS rows: (namespace, name, isTemporary).
    versions = {
        row[1].rsplit("__", 1)[1]
        for row in spark.sql(f"show tables in {VERSIONS_SCHEMA}").collect()
    }
    assert len(versions) == 1
    published = {
        f"{schema}.{row[1]}"
        for schema in SCHEMAS
        for row in spark.sql(f"show views in {schema}").collect()
        if not row[2]
    }
    # Every table and view DuckDB publishes in those schemas (kpi_catalog is a view there).
    on_duckdb = tiny_nightly.query(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema in (select unnest(?))",
        [list(SCHEMAS)],
    )
    assert published == {name for (name,) in on_duckdb}
    (run,) = spark.sql("select string(as_of), source from trustgap_meta.runs").collect()
    assert tuple(run) == (DEMO_AS_OF, "demo")


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


def test_every_published_mart_is_row_for_row_the_same_as_on_duckdb(spark, tiny_nightly):
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


def _failures(result) -> list[str]:
    return [
        f"{r.node.unique_id}: {(r.message or '').splitlines()[0][:300]}"
        for r in result.result.results
        if str(r.status) in ("error", "fail", "runtime error")
    ]


def test_the_unit_tests_pass_on_spark(spark, tmp_path, monkeypatch):
    """Every unit test pins a formula on hand-made rows: the same rows out on Spark, all
    of them (a list column's fixture is SQL both engines read: int_user_leaders')."""
    # The unit tests pin their own calendar (UTC, January), as `make test` runs them on
    # DuckDB; they read the column types of the relations the demo's build made.
    for name in (
        "TRUSTGAP_FISCAL_YEAR_START_MONTH",
        "TRUSTGAP_FISCAL_QUARTERS",
        "TRUSTGAP_TIMEZONE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRUSTGAP_SCHEMA_PREFIX", BUILD_PREFIX)
    started = time.monotonic()
    tested = dbt_on_spark(["test", "--select", "test_type:unit"], tmp_path, DEMO_AS_OF)
    units = [r for r in tested.result.results if r.node.resource_type == "unit_test"]
    outcomes = Counter(str(r.status) for r in units)
    print(f"unit tests on local Spark: {dict(outcomes)} in {time.monotonic() - started:.0f} s")
    failed = {
        r.node.unique_id: (r.message or "")[:2000]
        for r in units
        if str(r.status) in ("error", "fail", "runtime error")
    }
    assert not failed, failed
    assert outcomes["pass"] == len(units) >= 80


def test_an_org_chart_csv_is_read_on_spark_as_on_duckdb(spark, tmp_path, monkeypatch):
    """TRUSTGAP_ORG_CHART names a CSV (here without the optional team column): Spark reads
    it through an external CSV table (macros/engine/files.sql), every value text."""
    chart = tmp_path / "org chart.csv"
    chart.write_text(
        "User_Email,Manager_Email\n"
        " Rep.One@Example.com ,Lead@Example.com\n"
        "lead@example.com,\n"
        ",nobody@example.com\n"
    )
    monkeypatch.setenv("TRUSTGAP_ORG_CHART", str(chart))
    monkeypatch.setenv("TRUSTGAP_SCHEMA_PREFIX", "csv_")
    built = dbt_on_spark(["run", "--select", "stg_org_chart__managers"], tmp_path, DEMO_AS_OF)
    assert built.success, _failures(built)
    rows = spark.sql(
        "select user_email, manager_email, team from csv_staging.stg_org_chart__managers "
        "order by user_email"
    ).collect()
    assert [tuple(r) for r in rows] == [
        ("lead@example.com", None, None),
        ("rep.one@example.com", "lead@example.com", None),
    ]


def test_a_failed_check_on_spark_leaves_the_published_marts_untouched(spark, spark_demo, tmp_path):
    # The next night's build holds a bad row: a copy of a deal with a negative amount.
    built = f"{BUILD_PREFIX}marts.fct_deals"
    columns = ", ".join(
        "-abs(amount) - 1 as amount" if name == "amount" else f"`{name}`"
        for name in spark.table(built).columns
    )
    before = spark.sql("select * from marts.fct_deals order by deal_id").collect()
    (built_rows,) = spark.sql(f"select count(*) from {built}").first()
    spark.sql(f"insert into {built} select {columns} from {built} order by deal_id limit 1")
    # The checks read the build through Spark (the nightly's read_back, here in this
    # session), with the one suite definition DuckDB uses.
    working = tmp_path / "trustgap.working.duckdb"
    extra = [screened for _, screened in quarantine.TABLES.values()]
    written = spark_job.read_back(spark, str(tmp_path / "read_back"), extra)
    counts = spark_steps.load_parquet_tables(working, written)
    assert counts["marts.fct_deals"] == built_rows + 1
    assert counts["intermediate.int_deals_screened"] > 0
    (tmp_path / "marts.fct_deals.yml").write_text(STRICT_SUITE)
    with duckdb.connect(str(working), read_only=True) as con:
        result = validate_table(con, load_suite(tmp_path / "marts.fct_deals.yml"))
    assert not result.success
    assert result.expectations[0].observed["unexpected_count"] >= 2  # the planted one too
    outcome = wh.CheckOutcome("marts/fct_deals", "gx_fct_deals", False, "ERROR")
    versions_before = spark.sql(f"show tables in {VERSIONS_SCHEMA}").collect()

    with pytest.raises(spark_steps.ChecksFailedError, match="gx_fct_deals"):
        spark_steps.publish(
            spark_demo.spark_dir,
            run_id="second-run",
            as_of="2026-11-28",
            source="demo",
            checks=[outcome],
        )

    after = spark.sql("select * from marts.fct_deals order by deal_id").collect()
    assert after == before
    assert len(after) == built_rows
    assert spark.sql("select string(max(as_of)) from trustgap_meta.runs").first()[0] == DEMO_AS_OF
    assert spark.sql(f"show tables in {VERSIONS_SCHEMA}").collect() == versions_before


def _history_counts(spark) -> dict[str, int]:
    return {
        row[1]: spark.table(f"history.`{row[1]}`").count()
        for row in spark.sql("show views in history").collect()
        if not row[2]
    }


def test_the_spark_publish_keeps_the_runs_history_as_duckdb_does(spark, tiny_nightly):
    con = duckdb.connect(str(tiny_nightly.published), read_only=True)
    try:
        on_duckdb = {
            table: con.execute(f'select count(*) from history."{table}"').fetchone()[0]
            for (table,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'history'"
            ).fetchall()
        }
    finally:
        con.close()
    assert len(on_duckdb) == 5 and all(on_duckdb.values())
    assert _history_counts(spark) == on_duckdb
    dates = spark.sql("select distinct string(as_of) from history.rep_hygiene").collect()
    assert [d[0] for d in dates] == [DEMO_AS_OF]


def _status(published: Path, *extra: str, **env) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "status", *extra, "--warehouse", str(published)],
        env={k: v for k, v in {**os.environ, **env}.items() if v is not None},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.splitlines()


def test_trustgap_status_on_spark_says_what_it_says_on_duckdb(spark_demo, tiny_nightly):
    """Read from what the Spark publish kept beside its catalog: no JVM starts."""
    on_spark = _status(spark_demo.published, TRUSTGAP_ENGINE="spark")
    on_duckdb = _status(tiny_nightly.published, TRUSTGAP_ENGINE=None)

    def facts(lines):
        # The org's facts: calendar, quarantine, reconciliation, history (not the run's
        # id, time or raw-table ages).
        start = next(i for i, line in enumerate(lines) if line.startswith("Quarantined:"))
        calendar = [line for line in lines if line.startswith("Calendar:")]
        return calendar + lines[start:]

    assert (
        f"Published on Spark: views marts.*, quarantine.*, history.* in {spark_demo.spark_dir}"
        in on_spark
    )
    assert facts(on_spark) == facts(on_duckdb)
    assert f"History: 1 as-of date(s), {DEMO_AS_OF} to {DEMO_AS_OF} (schema history)" in on_spark
    (published,) = [line for line in on_spark if line.startswith("Last publish: ")]
    assert f"as of {DEMO_AS_OF}, source demo" in published
    (checks,) = [line for line in on_spark if line.startswith("Checks in that run: ")]
    passed = int(checks.split()[4])
    assert passed >= 100
    as_json = json.loads(
        "\n".join(_status(spark_demo.published, "--json", TRUSTGAP_ENGINE="spark"))
    )
    duckdb_json = json.loads(
        "\n".join(_status(tiny_nightly.published, "--json", TRUSTGAP_ENGINE=None))
    )
    assert as_json["published"]["history"] == {"dates": 1, "first": DEMO_AS_OF, "last": DEMO_AS_OF}
    for fact in ("quarantine", "reconciliation", "as_of", "source", "history"):
        assert as_json["published"][fact] == duckdb_json["published"][fact], fact


def test_a_publish_failing_half_way_changes_nothing_and_its_retry_does_not_double_the_history(
    spark, tiny_nightly
):
    # Runs last: it publishes again (the failed-check test above left a bad row in the
    # build; the history read here does not come from fct_deals).
    (run_id,) = [r[0] for r in spark.sql("select run_id from trustgap_meta.runs").collect()]
    history = _history_counts(spark)
    marts = spark.sql("select * from marts.fct_deals order by deal_id").collect()
    versions = spark.sql(f"show tables in {VERSIONS_SCHEMA}").collect()
    # A history view without its as_of key: the publish fails after copying the marts.
    spark.sql(
        f"create view {BUILD_PREFIX}history_run.no_key as select deal_id from marts.fct_deals"
    )
    try:
        with pytest.raises(ValueError, match="no_key has no as_of column"):
            spark_job.publish(spark, run_id=run_id, as_of=DEMO_AS_OF, source="demo")
    finally:
        spark.sql(f"drop view {BUILD_PREFIX}history_run.no_key")
    assert _history_counts(spark) == history
    assert spark.sql("select * from marts.fct_deals order by deal_id").collect() == marts
    assert spark.sql(f"show tables in {VERSIONS_SCHEMA}").collect() == versions

    retried = spark_job.publish(spark, run_id=run_id, as_of=DEMO_AS_OF, source="demo")

    assert retried["history"] == history == _history_counts(spark)
    assert retried["history_dates"] == [1, DEMO_AS_OF, DEMO_AS_OF]
    runs = spark.sql("select run_id from trustgap_meta.runs").collect()
    assert [r[0] for r in runs] == [run_id]
