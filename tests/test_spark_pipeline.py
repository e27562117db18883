"""The nightly job on Spark (issue #16 part 2): the engine setting, the raw tables in the
lake, and a publish that swaps the marts in whole or not at all.

None of these starts a JVM: the publish, the failed-check refusal and the printed
summary are tested on the one real Spark demo run of tests/test_spark_engine.py (CI
pays for one Spark run, not three Spark sessions).
"""

import json
import os
import re
from pathlib import Path

import duckdb
import jinja2
import pyarrow.dataset as ds
import pytest
import yaml

from connectors.errors import ConfigurationError
from pipelines import warehouse as wh
from pipelines.engine import lake, spark_steps
from pipelines.engine.spark import session_conf
from pipelines.project import dbt_project
from pipelines.settings import Settings
from tests.conftest import DEMO_AS_OF
from tests.spark import TEST_JAVA_OPTIONS


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


@pytest.mark.parametrize("java_options", [None, TEST_JAVA_OPTIONS])
def test_the_spark_jobs_session_is_the_dbt_profiles_spark_target(
    tmp_path, monkeypatch, java_options
):
    monkeypatch.delenv("TRUSTGAP_SPARK_MASTER", raising=False)
    monkeypatch.setenv("TRUSTGAP_SPARK_DIR", str(tmp_path))
    if java_options is None:
        monkeypatch.delenv("TRUSTGAP_SPARK_JAVA_OPTIONS", raising=False)
    else:
        monkeypatch.setenv("TRUSTGAP_SPARK_JAVA_OPTIONS", java_options)
    profiles = yaml.safe_load((Path(dbt_project.project_dir) / "profiles.yml").read_text())
    profile = profiles["trustgap"]["outputs"]["spark"]["server_side_parameters"]
    # Rendered as dbt renders a profile: Jinja with env_var().
    env_var = os.environ.get
    rendered = {
        key: jinja2.Template(str(value)).render(env_var=env_var)
        for key, value in profile.items()
        if key != "spark.app.name"
    }
    assert session_conf(tmp_path) == rendered
    expected = f"-Dderby.system.home={tmp_path} {java_options or ''}".strip()
    assert rendered["spark.driver.extraJavaOptions"] == expected


def test_no_unit_test_fixture_holds_a_duckdb_list_literal():
    """A dict fixture's "[A, B]" is cast to the column's type by the engine: DuckDB reads
    it as a list, Spark cannot cast it to an array, so the unit test fails there only.
    A list column's rows are written as SQL that both engines read (split(text, sep))."""
    literal = re.compile(r"^\s*\[.*\]\s*$")
    found = []
    for path in sorted((Path(dbt_project.project_dir) / "models").rglob("*.yml")):
        for unit in (yaml.safe_load(path.read_text()) or {}).get("unit_tests", []):
            fixtures = [*unit.get("given", []), {"input": "expect", **unit["expect"]}]
            for fixture in fixtures:
                if fixture.get("format", "dict") != "dict":
                    continue
                for row in fixture.get("rows") or []:
                    for column, value in row.items():
                        if isinstance(value, str) and literal.match(value):
                            found.append((unit["name"], fixture["input"], column, value))
    assert not found, found


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


@pytest.mark.parametrize(
    "argv",
    [["backfill", "--from", "2026-11-01", "--to", "2026-11-02"], ["report"]],
    ids=["backfill", "report"],
)
def test_a_history_backfill_and_the_report_on_spark_are_refused_naming_the_setting(
    argv, tmp_path, monkeypatch, capsys
):
    from pipelines.cli import main

    monkeypatch.setenv("TRUSTGAP_ENGINE", "spark")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))

    code = main([*argv, "--warehouse", str(tmp_path / "w" / "trustgap.duckdb")])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: `trustgap {argv[0]}` does not run with TRUSTGAP_ENGINE=spark")
    assert "Traceback" not in err
    assert not (tmp_path / "w").exists()


def test_the_printed_summary_reads_the_publishs_numbers_without_starting_spark(tmp_path):
    """The publish job counts what the summary shows; printing it starts no JVM (here
    there is no Spark catalog at all: a query would fail)."""
    last = {"version": "v1", "tables": {}, "summary": [DEMO_AS_OF, 1234, 56, 7]}
    (tmp_path / spark_steps.LAST_PUBLISH).write_text(json.dumps(last))

    printed = spark_steps.summary(tmp_path, 12.5, "python")

    assert f"Nightly run succeeded on Spark in 12.5 s (as of {DEMO_AS_OF})." in printed
    assert "Deals: 1,234 (56 open); quarantined deals: 7" in printed
    assert f"Spark warehouse: {tmp_path / 'warehouse'}" in printed
    assert not (tmp_path / "metastore_db").exists()


def test_status_on_spark_before_any_spark_publish_says_so(tmp_path, monkeypatch, capsys):
    from pipelines.cli import main

    monkeypatch.setenv("TRUSTGAP_ENGINE", "spark")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))

    code = main(["status", "--warehouse", str(tmp_path / "w" / "trustgap.duckdb")])

    out = capsys.readouterr().out
    assert code == 1
    assert f"Nothing published on Spark yet in {tmp_path / 'w' / 'spark'}" in out
