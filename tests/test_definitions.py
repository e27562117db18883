"""The code locations load exactly as `dagster dev` loads them (production and the demo)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.salesforce.objects import OBJECTS
from pipelines.definitions import defs

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "location", [["-w", "workspace.yaml"], ["-m", "demo.definitions"]], ids=["production", "demo"]
)
def test_code_locations_validate_with_the_dagster_cli(tmp_path, location):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run(
        [str(dagster), "definitions", "validate", *location],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_nightly_job_covers_raw_objects_dbt_marts_and_publish():
    definitions = defs()
    job = definitions.resolve_job_def("nightly")
    keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    for obj in OBJECTS:
        assert f"raw_salesforce/{obj.table}" in keys
    for mart in ("dim_users", "fct_deals", "rep_hygiene"):
        assert f"marts/{mart}" in keys
    assert "published_warehouse" in keys


def test_schedule_runs_the_nightly_job_at_two_by_default():
    schedule = defs().resolve_schedule_def("nightly_schedule")
    assert schedule.job_name == "nightly"
    assert schedule.cron_schedule == "0 2 * * *"


def test_dbt_tests_and_expectations_are_asset_checks():
    checks = {
        key.asset_key.to_user_string() + ":" + key.name
        for key in defs().get_repository_def().asset_graph.asset_check_keys
    }
    assert any(c.startswith("marts/fct_deals:gx_") for c in checks)
    assert any(c.startswith("marts/fct_deals:") and ":gx_" not in c for c in checks)


def test_the_code_location_has_one_name_under_dg_dev_and_dagster_dev():
    from dagster._core.workspace.load_target import WorkspaceFileTarget
    from dagster_dg_cli.cli.utils import create_temp_workspace_file
    from dagster_dg_core.context import DgContext

    from pipelines.launch import DEMO, PRODUCTION

    # `make dev` runs `dg dev`, which writes this workspace from [tool.dg.project].
    with create_temp_workspace_file(DgContext.for_project_environment(ROOT, {})) as dg_dev:
        (under_dg,) = WorkspaceFileTarget([dg_dev]).create_origins()
    (under_dagster,) = WorkspaceFileTarget([str(ROOT / "workspace.yaml")]).create_origins()
    assert under_dg.location_name == under_dagster.location_name == PRODUCTION.name
    assert under_dg.loadable_target_origin.module_name == PRODUCTION.module
    assert under_dagster.loadable_target_origin.module_name == PRODUCTION.module
    (demo,) = WorkspaceFileTarget([str(ROOT / "demo" / "workspace.yaml")]).create_origins()
    assert (demo.location_name, demo.loadable_target_origin.module_name) == (
        DEMO.name,
        DEMO.module,
    )


def test_every_asset_has_owners_and_a_layer_tag_and_bi_facing_ones_a_freshness_policy():
    from pipelines.ownership import BI_FACING, DATA_ENGINEERING

    graph = defs().resolve_asset_graph()
    # Every asset Trustgap builds (the rest are dbt sources' stubs, e.g. sync_state).
    for key in graph.materializable_asset_keys:
        node = graph.get(key)
        assert DATA_ENGINEERING in node.owners, key
        assert node.tags.get("layer"), key
        assert node.description, key
        bi_facing = node.group_name in BI_FACING
        assert (node.freshness_policy is not None) == bi_facing, key
        assert (node.tags.get("audience") == "bi") == bi_facing, key


def test_every_check_and_the_schedule_have_a_description():
    definitions = defs()
    graph = definitions.resolve_asset_graph()
    undescribed = [
        key.name for key in graph.asset_check_keys if not graph.get_check_spec(key).description
    ]
    assert undescribed == []
    spec = graph.get_check_spec(
        next(k for k in graph.asset_check_keys if k.name == "unique_fct_deals_deal_id")
    )
    assert spec.description == "dbt unique on marts/fct_deals.deal_id (error)"
    assert "0 2 * * *" in definitions.resolve_schedule_def("nightly_schedule").description


def test_the_checks_on_what_bi_reads_have_short_names():
    """dbt names a generic test after its arguments (`relationships_fct_deals_owner_id__
    user_id__ref_dim_users_`); the checks on the marts and the quarantine are named for
    what they mean, short enough to read in the UI's check list."""
    graph = defs().resolve_asset_graph()
    names = {
        key.name
        for key in graph.asset_check_keys
        if key.asset_key.path[0] in ("marts", "quarantine")
    }
    assert [name for name in names if len(name) > 50] == []
    assert {
        "fct_deals_owner_is_a_user",
        "quarantine_deals_reason_is_known",
        "pipeline_reconciliation_no_unexplained_value",
        "team_scorecard_key_is_unique",
    } <= names


def test_published_warehouse_depends_on_what_it_publishes_only():
    import dagster as dg

    graph = defs().resolve_asset_graph()
    parents = graph.get(dg.AssetKey("published_warehouse")).parent_keys
    assert {key.path[0] for key in parents} == {"marts", "quarantine", "history_run"}
    assert dg.AssetKey(["marts", "fct_deals"]) in parents
    assert dg.AssetKey(["quarantine", "deals"]) in parents
