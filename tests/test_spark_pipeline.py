"""The nightly job on Spark (issue #16 part 2): the engine setting, the raw tables in the
lake, and a publish that swaps the marts in whole or not at all.

The Spark steps run on a real local Spark (PySpark, Java 17), each in its own process
as the nightly runs them (pipelines/engine/spark.py). The dbt build on Spark has its
own module (tests/test_spark_engine.py, which shows its marts equal DuckDB's row for
row); so that CI pays for one Spark build, not two, the "build" the publish tests swap
in is the tiny org's DuckDB-built marts copied into Spark's build schemas.
"""

import os
import shutil
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest
import yaml

from connectors.errors import ConfigurationError
from expectations import load_suite, validate_table
from pipelines import quarantine
from pipelines import warehouse as wh
from pipelines.engine import lake, spark_steps
from pipelines.engine.spark import BUILD_PREFIX, VERSIONS_SCHEMA, run_job, session_conf
from pipelines.project import dbt_project
from pipelines.settings import Settings
from tests.conftest import DEMO_AS_OF

# The demo plants a deal worth zero (demo/org/planted.py); a team's stricter suite
# turns it into a blocking failure, as in tests/test_publishing.py.
from tests.test_publishing import STRICT_SUITE

NEEDS_JAVA = pytest.mark.skipif(
    shutil.which("java") is None and not os.environ.get("JAVA_HOME") and not os.environ.get("CI"),
    reason="no `java`: `make java` installs openjdk-17-jre-headless (root or sudo)",
)


def test_the_engine_is_duckdb_unless_set_to_spark():
    assert (Settings.from_env({}).engine, Settings.from_env({}).dbt_target) == ("duckdb", "dev")
    spark = Settings.from_env({"TRUSTGAP_ENGINE": "Spark"})
    assert (spark.engine, spark.dbt_target) == ("spark", "spark")
    databricks = {"TRUSTGAP_ENGINE": "spark", "TRUSTGAP_DBT_TARGET": "databricks"}
    assert Settings.from_env(databricks).dbt_target == "databricks"
    with pytest.raises(ConfigurationError, match="TRUSTGAP_ENGINE must be one of duckdb, spark"):
        Settings.from_env({"TRUSTGAP_ENGINE": "snowflake"})


def test_the_lake_is_a_folder_or_an_object_store_url(tmp_path, monkeypatch):
    def lake(value):
        return Settings.from_env({"TRUSTGAP_LAKE_URL": value}).lake_url

    assert lake("s3://bucket/trustgap/") == "s3://bucket/trustgap"
    assert lake("abfss://lake@acct.dfs.core.windows.net/tg").startswith("abfss://lake@")
    assert lake("gs://bucket/tg") == "gs://bucket/tg"
    monkeypatch.chdir(tmp_path)
    assert lake("lake") == str(tmp_path.resolve() / "lake")
    for bad in ("ftp://host/lake", "s3://", "s3://bucket/with space"):
        with pytest.raises(ConfigurationError, match="TRUSTGAP_LAKE_URL must be a folder"):
            lake(bad)
    published = tmp_path / "w" / "trustgap.duckdb"
    assert Settings.from_env({}).lake(published) == str(tmp_path / "w" / "lake")


def test_a_lake_url_carrying_credentials_is_refused_without_repeating_them():
    for url in ("s3://AKIAKEY:s3cr3t-value@bucket/tg", "gs://user:s3cr3t-value@bucket/tg"):
        with pytest.raises(ConfigurationError, match="must not carry credentials") as refused:
            Settings.from_env({"TRUSTGAP_LAKE_URL": url})
        assert "s3cr3t-value" not in str(refused.value)


def test_raw_tables_reach_the_lake_row_for_row_and_a_new_export_replaces_the_old(
    tiny_nightly, tmp_path
):
    working = wh.working_path(tiny_nightly.published)
    sources = spark_steps.landed_sources(dbt_project.manifest_path)
    assert ("raw_salesforce", "opportunity_field_history") in sources
    assert ("sync_state", "table_syncs") in sources
    assert not [s for s in sources if s[0] == "trustgap_meta"]

    first = lake.export_raw_tables(working, str(tmp_path), sources, run_id="run1")
    second = lake.export_raw_tables(working, str(tmp_path), sources, run_id="run2")

    with duckdb.connect(str(working), read_only=True) as con:
        landed = {
            (schema, name): con.execute(f'select count(*) from {schema}."{name}"').fetchone()[0]
            for schema, name in sources
            if wh.has_table(con, schema, name)
        }
    by_table = {(t.schema, t.name): t for t in second}
    assert set(by_table) == set(landed)
    for key, rows in landed.items():
        folder = tmp_path / key[0] / key[1]
        assert by_table[key].location == str(folder)
        # The second export's files replaced the first's: no row is read twice.
        assert sorted(p.name for p in folder.iterdir()) == ["part-run2-00000.parquet"]
        assert ds.dataset(folder, format="parquet").count_rows() == rows == by_table[key].rows
    assert [t.rows for t in first] == [t.rows for t in second]
    assert landed[("raw_salesforce", "opportunity_field_history")] > 0


def test_an_unreachable_lake_is_a_clear_error_and_the_landing_is_untouched(tiny_nightly, tmp_path):
    working = wh.working_path(tiny_nightly.published)
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(lake.LakeExportError, match="the landing is intact"):
        lake.export_raw_tables(
            working, str(blocked), [("raw_salesforce", "opportunity")], run_id="r"
        )


def test_the_spark_jobs_session_is_the_dbt_profiles_spark_target(tmp_path, monkeypatch):
    monkeypatch.delenv("TRUSTGAP_SPARK_MASTER", raising=False)
    profiles = yaml.safe_load((Path(dbt_project.project_dir) / "profiles.yml").read_text())
    profile = profiles["trustgap"]["outputs"]["spark"]["server_side_parameters"]
    rendered = {
        key: str(value)
        .replace("{{ env_var('TRUSTGAP_SPARK_DIR', 'target/spark') }}", str(tmp_path))
        .replace("{{ env_var('TRUSTGAP_SPARK_MASTER', 'local[2]') }}", "local[2]")
        for key, value in profile.items()
        if key != "spark.app.name"
    }
    assert session_conf(tmp_path) == rendered


@pytest.fixture(scope="module")
def spark_build(tiny_nightly, tmp_path_factory):
    """A local Spark catalog whose build schemas hold the tiny org's marts and quarantine,
    its first version published."""
    tmp = tmp_path_factory.mktemp("spark_publish")
    spark_dir = tmp / "spark"
    tables = [
        (schema, name)
        for schema, name in tiny_nightly.query(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('marts', 'quarantine')"
        )
    ]
    built = lake.export_raw_tables(tiny_nightly.published, str(tmp / "built"), tables, run_id="b")
    # What the quarantine checks divide by (pipelines/quarantine.py), in the working file.
    screened = [tuple(table.split(".")) for _, table in quarantine.TABLES.values()]
    working = wh.working_path(tiny_nightly.published)
    built += lake.export_raw_tables(working, str(tmp / "built"), screened, run_id="b")
    statements = [
        f"create database if not exists {BUILD_PREFIX}{s}"
        for s in ("marts", "quarantine", "intermediate")
    ]
    statements += [
        f"create table {BUILD_PREFIX}{t.schema}.{t.name} using parquet "
        f"as select * from parquet.`{t.location}`"
        for t in built
    ]
    run_job(spark_dir, "sql", statements=statements)
    first = spark_steps.publish(
        spark_dir, run_id="first-run", as_of=DEMO_AS_OF, source="demo", checks=[]
    )
    published = [t for t in built if t.schema != "intermediate"]
    return spark_dir, first, {f"{t.schema}.{t.name}": t.rows for t in published}


def published_rows(spark_dir, *statements):
    """Each statement's rows, run in one Spark job (a JVM start each costs seconds)."""
    results = run_job(spark_dir, "sql", statements=list(statements))["results"]
    return [result["rows"] for result in results]


@NEEDS_JAVA
def test_publish_on_spark_moves_every_view_to_one_new_version_and_says_where(spark_build):
    spark_dir, first, built = spark_build
    assert set(first["tables"]) == set(built)
    assert set(first["tables"].values()) == {first["version"]}

    printed = spark_steps.summary(spark_dir, 12.5, "python")

    deals, quarantined = built["marts.fct_deals"], built["quarantine.deals"]
    assert f"Nightly run succeeded on Spark in 12.5 s (as of {DEMO_AS_OF})." in printed
    assert f"Deals: {deals:,} (" in printed
    assert f"quarantined deals: {quarantined:,}" in printed
    assert f"Spark warehouse: {spark_dir / 'warehouse'}" in printed
    assert f'python -m pipelines.engine.spark_sql {spark_dir} "select' in printed


@NEEDS_JAVA
def test_a_failed_check_on_spark_leaves_the_published_marts_untouched(spark_build, tmp_path):
    spark_dir, first, built = spark_build
    # The next night's build holds a bad row: a copy of a deal with a negative amount.
    columns = ", ".join(
        "-abs(amount) - 1 as amount" if name == "amount" else f"`{name}`"
        for name in ds.dataset(built_path(spark_dir, "fct_deals"), format="parquet").schema.names
    )
    before, _ = published_rows(
        spark_dir,
        "select * from marts.fct_deals order by deal_id",
        f"insert into {BUILD_PREFIX}marts.fct_deals select {columns} "
        f"from {BUILD_PREFIX}marts.fct_deals order by deal_id limit 1",
    )
    # The checks read the build through Spark, with the one suite definition DuckDB uses.
    working = tmp_path / "trustgap.working.duckdb"
    counts = spark_steps.read_marts_back(_Log(), working, spark_dir, run_id="second-run")
    assert counts["marts.fct_deals"] == built["marts.fct_deals"] + 1
    assert counts["intermediate.int_deals_screened"] > 0
    (tmp_path / "marts.fct_deals.yml").write_text(STRICT_SUITE)
    with duckdb.connect(str(working), read_only=True) as con:
        result = validate_table(con, load_suite(tmp_path / "marts.fct_deals.yml"))
    assert not result.success
    assert result.expectations[0].observed["unexpected_count"] >= 2  # the planted one too
    outcome = wh.CheckOutcome("marts/fct_deals", "gx_fct_deals", False, "ERROR")

    with pytest.raises(spark_steps.ChecksFailedError, match="gx_fct_deals"):
        spark_steps.publish(
            spark_dir, run_id="second-run", as_of="2026-11-28", source="demo", checks=[outcome]
        )

    after, runs, versions = published_rows(
        spark_dir,
        "select * from marts.fct_deals order by deal_id",
        "select string(max(as_of)) from trustgap_meta.runs",
        f"show tables in {VERSIONS_SCHEMA}",
    )
    assert after == before
    assert len(after) == built["marts.fct_deals"]
    assert runs == [[DEMO_AS_OF]]
    assert {row[1].rsplit("__", 1)[1] for row in versions} == {first["version"]}


def built_path(spark_dir, table):
    return spark_dir.parent / "built" / "marts" / table


class _Log:
    def info(self, message):
        pass


DEPLOY = Path(__file__).resolve().parents[1] / "docs" / "deploy"


def test_the_kubernetes_instance_config_is_a_valid_dagster_yaml():
    from dagster._core.instance.config import dagster_instance_config_schema, validate_config

    instance = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())

    checked = validate_config(dagster_instance_config_schema(), instance)

    assert checked.success, [error.message for error in checked.errors]
    assert (instance["run_launcher"]["module"], instance["run_launcher"]["class"]) == (
        "dagster_k8s.launcher",
        "K8sRunLauncher",
    )
    assert set(instance["storage"]["postgres"]["postgres_db"]["password"]) == {"env"}
    # The same one-run-per-warehouse rule as the instance `trustgap` writes locally.
    (limit,) = instance["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert (limit["key"], limit["limit"]) == (wh.WAREHOUSE_TAG, 1)
    values = yaml.safe_load((DEPLOY / "values.yaml").read_text())
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["postgresql"]["enabled"] is False
