"""A nightly run pays no fixed cost that is not work (#17).

Each run is a fresh Python process that also starts a dbt process: what they
import must come compiled from the install, and dagster-dbt must not build a
second, in-process dbt adapter that nothing uses.
"""

import datetime as dt
import importlib.util
import json
import os
from pathlib import Path

import duckdb
import pytest

from expectations import load_suites
from pipelines.calendar import Calendar
from pipelines.defs.dbt_models import dbt_environment
from pipelines.defs.resources import resources
from pipelines.project import dbt_project


@pytest.mark.parametrize(
    "module", ["dagster", "dagster_dbt", "dbt.cli.main", "great_expectations", "pandas"]
)
def test_the_install_ships_the_bytecode_each_run_imports(module):
    source = importlib.util.find_spec(module).origin
    assert Path(importlib.util.cache_from_source(source)).exists(), (
        f"{module} has no compiled bytecode: every run would compile it again "
        "(make install syncs with --compile-bytecode)"
    )


def test_dbt_invocations_build_no_in_process_adapter():
    dbt = resources().resources["dbt"]

    invocation = dbt.cli(["--version"], manifest=dbt_project.manifest_path)
    invocation.wait()

    assert invocation.is_successful()
    assert invocation.adapter is None


def test_dbt_logs_info_to_its_file_unless_asked_for_more(monkeypatch, tmp_path):
    monkeypatch.delenv("DBT_LOG_LEVEL_FILE", raising=False)
    with dbt_environment(tmp_path / "w.duckdb", dt.date(2026, 11, 27), "", Calendar()):
        assert os.environ["DBT_LOG_LEVEL_FILE"] == "info"
    assert "DBT_LOG_LEVEL_FILE" not in os.environ

    monkeypatch.setenv("DBT_LOG_LEVEL_FILE", "debug")
    with dbt_environment(tmp_path / "w.duckdb", dt.date(2026, 11, 27), "", Calendar()):
        assert os.environ["DBT_LOG_LEVEL_FILE"] == "debug"


def test_great_expectations_suites_run_in_one_step_per_schema(tiny_nightly):
    events = tiny_nightly.result.all_events
    steps = {e.step_key for e in events if e.event_type_value == "STEP_START"}
    evaluated = {e.check_name for e in tiny_nightly.result.get_asset_check_evaluations()}

    schemas = {table.split(".")[0] for table in load_suites()}
    assert {step for step in steps if step.startswith("gx_")} == {f"gx_{s}" for s in schemas}
    assert not any("_gx_" in step for step in steps)
    # Every suite is still its own check, as before.
    assert {f"gx_{table.split('.')[1]}" for table in load_suites()} <= evaluated


def test_a_suite_that_cannot_run_fails_its_step_after_the_others_verdicts(tmp_path):
    from expectations import ExpectationTableMissing, Suite
    from pipelines.defs.quality_checks import check_suites
    from pipelines.resources import RunParams, Warehouse

    warehouse = Warehouse(path=str(tmp_path / "trustgap.duckdb"))
    with duckdb.connect(str(warehouse.working)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.deals as select 'd1' as deal_id union all select null")
    not_null = {
        "type": "expect_column_values_to_not_be_null",
        "kwargs": {"column": "deal_id"},
        "severity": "error",
    }
    missing = Suite.from_dict({"table": "marts.gone", "expectations": [not_null]})
    deals = Suite.from_dict({"table": "marts.deals", "expectations": [not_null]})

    verdicts = []
    with pytest.raises(ExpectationTableMissing, match=r"marts\.gone"):
        for result in check_suites([missing, deals], warehouse, RunParams(as_of="2026-11-27")):
            verdicts.append(result)

    (only,) = verdicts
    assert (only.check_name, only.passed, only.severity.value) == ("gx_deals", False, "ERROR")


def test_dbt_runs_independent_nodes_on_several_threads(tmp_path):
    """A node is mostly dbt's own Python: nodes that need not wait for each other overlap."""
    from tests.dbt_runner import run_dbt
    from tests.test_dbt_project import AS_OF, write_raw_salesforce

    warehouse = tmp_path / "working.duckdb"
    write_raw_salesforce(warehouse, {})
    views = [
        "stg_salesforce__users",
        "stg_salesforce__user_roles",
        "stg_salesforce__accounts",
        "stg_salesforce__currency_types",
    ]

    result = run_dbt(["run", "--select", *views], tmp_path, warehouse, AS_OF)

    assert result.returncode == 0, result.stdout[-3000:]
    # profiles.yml's default for dbt run by hand; the pipeline passes the CPUs
    assert "Concurrency: 2 threads" in result.stdout
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    assert {r["status"] for r in results} == {"success"}
    assert len({r["thread_id"] for r in results}) > 1


def test_an_intermediate_view_read_once_untested_and_fed_to_no_unit_test_is_ephemeral():
    """Such a view is a dbt node and a Dagster asset each night for SQL DuckDB inlines
    into its one reader anyway; ephemeral, it is a CTE of that reader."""
    from pipelines.project import ensure_manifest

    manifest = json.loads(ensure_manifest().read_text())
    unit_inputs = {
        given["input"].split("'")[1]
        for unit in manifest["unit_tests"].values()
        for given in unit["given"]
        if given["input"].startswith("ref(")
    }
    read_once = []
    for unique_id, node in manifest["nodes"].items():
        config = node.get("config", {})
        if node["resource_type"] != "model" or config.get("schema") != "intermediate":
            continue
        children = manifest["child_map"].get(unique_id, [])
        models = [c for c in children if c.startswith("model.")]
        tested = any(c.startswith("test.") for c in children)
        if len(models) == 1 and not tested and node["name"] not in unit_inputs:
            read_once.append((node["name"], config["materialized"]))
    assert ("int_salesforce__deals", "ephemeral") in read_once
    assert [name for name, materialized in read_once if materialized == "view"] == []


class _CountingEnviron(dict):
    """os.environ that counts how often the whole environment is listed."""

    listed = 0

    def items(self):
        type(self).listed += 1
        return super().items()


def test_dbt_scrubs_its_log_lines_of_secrets_read_once(monkeypatch):
    import dbt.events.logging as file_logging
    import dbt_common.events.functions as console_logging
    from dbt_common.exceptions import base

    from pipelines import dbt_process

    # Restored after the test, whatever read_secrets_once puts in their place.
    monkeypatch.setattr(file_logging, "env_scrubber", console_logging.env_scrubber)
    monkeypatch.setattr(console_logging, "env_scrubber", console_logging.env_scrubber)
    environ = _CountingEnviron(os.environ, DBT_ENV_SECRET_CRM_TOKEN="tok-4242")
    monkeypatch.setattr(base.os, "environ", environ)

    assert dbt_process.read_secrets_once()
    lines = [f"node {n}: connected with tok-4242" for n in range(100)]
    for scrubber in (file_logging.env_scrubber, console_logging.env_scrubber):
        assert {scrubber(line) for line in lines} == {
            f"node {n}: connected with *****" for n in range(100)
        }
    assert _CountingEnviron.listed == 1


def test_a_view_replaces_its_model_s_old_table_and_leaves_no_temporary_relation(tmp_path):
    """Views are replaced in one statement (macros/engine/view.sql), not dbt's four
    catalog changes: a model that was a table becomes a view, and nothing named
    __dbt_tmp or __dbt_backup is left."""
    from tests.dbt_runner import run_dbt
    from tests.test_dbt_project import AS_OF, write_raw_salesforce

    warehouse = tmp_path / "working.duckdb"
    write_raw_salesforce(
        warehouse, {"opportunity_stage": [{"Id": "01J1", "MasterLabel": "Prospecting"}]}
    )
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema staging")
        con.execute(
            "create table staging.stg_salesforce__opportunity_stages as select 'old' as stage"
        )
    for _ in range(2):  # over the old table, then over its own view
        result = run_dbt(
            ["run", "--select", "stg_salesforce__opportunity_stages"], tmp_path, warehouse, AS_OF
        )
        assert result.returncode == 0, result.stdout[-3000:]

    with duckdb.connect(str(warehouse), read_only=True) as con:
        relations = con.execute(
            "select table_name, table_type from information_schema.tables "
            "where table_schema = 'staging'"
        ).fetchall()
        labels = con.execute(
            "select master_label from staging.stg_salesforce__opportunity_stages"
        ).fetchall()
    assert relations == [("stg_salesforce__opportunity_stages", "VIEW")]
    assert labels == [("Prospecting",)]
