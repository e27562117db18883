"""HubSpot in the code location, the CLI and the dbt source contract."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from connectors.errors import ConfigurationError
from connectors.hubspot.objects import TABLES
from connectors.landing import land_batches
from demo import cli as demo_cli
from demo.resources import DemoCrm
from pipelines.cli import build_parser
from pipelines.definitions import defs
from pipelines.resources import CrmSource
from tests.hubspot_fixtures import LOADED_AT

SOURCES_YML = (
    Path(__file__).resolve().parents[1] / "dbt_project/models/staging/hubspot/_hubspot__sources.yml"
)


def test_dbt_sources_declare_every_catalog_column_with_its_landed_type():
    """staging's hubspot_source macro builds empty tables from these declarations."""
    declared = {
        table["name"]: [(c["name"], c["data_type"]) for c in table["columns"]]
        for table in yaml.safe_load(SOURCES_YML.read_text())["sources"][0]["tables"]
    }
    con = duckdb.connect()
    for table in TABLES:
        land_batches(con, "raw_hubspot", table.name, table.arrow_schema, [], loaded_at=LOADED_AT)
        landed = con.execute(
            "select column_name, lower(data_type) from information_schema.columns "
            "where table_schema = 'raw_hubspot' and table_name = ? order by ordinal_position",
            [table.name],
        ).fetchall()
        assert declared[table.name] == landed, table.name


def test_nightly_job_lands_both_crms_raw_tables():
    job = defs().resolve_job_def("nightly")
    keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert {f"raw_hubspot/{t.name}" for t in TABLES} <= keys
    assert "intermediate/int_hubspot__deals" in keys


@pytest.mark.parametrize(
    ("crm", "env", "platform"),
    [
        (CrmSource(source="hubspot"), {}, "hubspot"),
        (DemoCrm(crm="hubspot"), {}, "hubspot"),
        (DemoCrm(), {}, "salesforce"),
        (CrmSource(source="auto"), {"HUBSPOT_ACCESS_TOKEN": "x"}, "hubspot"),
        (CrmSource(source="auto"), {"SALESFORCE_ACCESS_TOKEN": "x"}, "salesforce"),
    ],
)
def test_the_configured_crm_decides_which_raw_assets_sync(monkeypatch, crm, env, platform):
    for name in ("SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN", "HUBSPOT_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert crm.platform() == platform


def test_auto_without_credentials_names_what_to_set(monkeypatch):
    for name in ("SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN", "HUBSPOT_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match=r"HUBSPOT_ACCESS_TOKEN.*trustgap demo"):
        CrmSource(source="auto").platform()


def test_cli_offers_hubspot_for_run_and_demo():
    parser = build_parser({"demo": demo_cli})
    run = parser.parse_args(["run", "--source", "hubspot", "--org-chart", "chart.csv"])
    demo = parser.parse_args(["demo", "--source", "hubspot", "--size", "tiny"])
    assert (run.source, run.org_chart, demo.source) == ("hubspot", "chart.csv", "hubspot")
