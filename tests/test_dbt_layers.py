"""The dbt project's layers keep their one sources of truth.

The raw tables dbt reads are the connectors' catalogs; K1 freshness measures the raw
tables of the CRM the run read.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import yaml

from connectors.hubspot.objects import RAW_SCHEMA as HUBSPOT_SCHEMA
from connectors.hubspot.objects import TABLES
from connectors.landing import land_batches
from connectors.salesforce.objects import OBJECTS
from connectors.salesforce.objects import RAW_SCHEMA as SALESFORCE_SCHEMA
from tests.dbt_runner import DBT_PROJECT_DIR, run_dbt

STAGING = DBT_PROJECT_DIR / "models" / "staging"
AS_OF = "2026-11-27"


def _source_tables(path: Path, source_name: str) -> list[str]:
    sources = yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]
    (source,) = [s for s in sources if s["name"] == source_name]
    return [table["name"] for table in source["tables"]]


def test_salesforce_dbt_sources_are_the_connector_catalog():
    declared = _source_tables(STAGING / "salesforce/_salesforce__sources.yml", SALESFORCE_SCHEMA)
    assert sorted(declared) == sorted(obj.table for obj in OBJECTS)


def test_hubspot_dbt_sources_are_the_connector_catalog():
    declared = _source_tables(STAGING / "hubspot/_hubspot__sources.yml", HUBSPOT_SCHEMA)
    assert sorted(declared) == sorted(table.name for table in TABLES)


def test_k1_on_a_hubspot_run_measures_the_hubspot_tables(tmp_path):
    """A HubSpot run lands raw_hubspot and leaves raw_salesforce empty (synced, empty,
    after HubSpot): every K1 row is a raw_hubspot table, none a Salesforce one."""
    warehouse = tmp_path / "working.duckdb"
    hubspot_loaded = dt.datetime(2026, 11, 27, 2, tzinfo=dt.UTC)
    with duckdb.connect(str(warehouse)) as con:
        for table in TABLES:
            # one row in every table but emails, which this portal has none of
            rows = [] if table.name == "emails" else [{table.key: "1"}]
            batch = pa.Table.from_pylist(rows, schema=table.arrow_schema)
            land_batches(
                con, HUBSPOT_SCHEMA, table.name, table.arrow_schema, [batch],
                loaded_at=hubspot_loaded,
            )  # fmt: skip
        for obj in OBJECTS:
            land_batches(
                con, SALESFORCE_SCHEMA, obj.table, obj.arrow_schema, [],
                loaded_at=hubspot_loaded + dt.timedelta(minutes=5),
            )  # fmt: skip
    result = run_dbt(
        ["run", "--select", "int_raw_table_loads", "int_source_freshness"],
        tmp_path,
        warehouse,
        AS_OF,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select source, table_name, freshness_status, freshness_hours "
            "from intermediate.int_source_freshness"
        ).fetchall()
    assert {row[1] for row in rows} == {f"{HUBSPOT_SCHEMA}.{table.name}" for table in TABLES}
    assert {row[0] for row in rows} == {"hubspot"}
    statuses = {row[1]: (row[2], row[3]) for row in rows}
    assert statuses[f"{HUBSPOT_SCHEMA}.emails"] == ("empty", None)
    assert statuses[f"{HUBSPOT_SCHEMA}.deals"] == ("pass", 0.0)


def test_every_registry_metric_id_is_written_where_its_sql_computes_it():
    """Each metric id of the registry appears in a SQL comment (`-- M3`) of some model,
    on or above the expression computing it."""
    catalog = yaml.safe_load(
        (DBT_PROJECT_DIR / "models/marts/kpi_catalog_as_of.yml").read_text(encoding="utf-8")
    )
    (model,) = [m for m in catalog["models"] if m["name"] == "kpi_catalog_as_of"]
    ids = [metric["id"] for metric in model["config"]["meta"]["metrics"]]
    comments = "\n".join(
        line[line.index("--") :]
        for path in (DBT_PROJECT_DIR / "models").rglob("*.sql")
        for line in path.read_text(encoding="utf-8").splitlines()
        if "--" in line
    )
    missing = [i for i in ids if not re.search(rf"\b{i}\b", comments)]
    assert not missing, f"metric ids never written beside their SQL: {missing}"


def test_the_micromanagement_signal_list_matches_the_registry():
    """macros/metric_registry.sql lists each signal once; every M-signal of the registry
    is in it with the floor var its registry entry declares, and nothing else is."""
    catalog = yaml.safe_load(
        (DBT_PROJECT_DIR / "models/marts/kpi_catalog_as_of.yml").read_text(encoding="utf-8")
    )
    (model,) = [m for m in catalog["models"] if m["name"] == "kpi_catalog_as_of"]
    registry = {
        (metric["id"], column.strip()): metric["threshold_vars"]
        for metric in model["config"]["meta"]["metrics"]
        if metric["table"] == "leader_signals_weekly" and re.fullmatch(r"M\d+", metric["id"])
        for column in metric["column"].split(",")
    }
    macro = (DBT_PROJECT_DIR / "macros/metric_registry.sql").read_text(encoding="utf-8")
    listed = re.findall(r"'metric_id': '(\w+)', 'column': '(\w+)',\s*'floor_var': '(\w+)'", macro)
    assert {(metric_id, column) for metric_id, column, _ in listed} == set(registry)
    for metric_id, column, floor_var in listed:
        assert floor_var in registry[(metric_id, column)], (metric_id, floor_var)


def test_models_read_in_one_sitting():
    """No model is over ~200 lines: a long one is split by concern into intermediate models."""
    lengths = {
        path.stem: len(path.read_text(encoding="utf-8").splitlines())
        for path in (DBT_PROJECT_DIR / "models").rglob("*.sql")
    }
    too_long = {name: n for name, n in lengths.items() if n > 210}
    assert not too_long, f"split these models: {too_long}"


def test_every_crm_maps_each_canonical_entity_in_its_own_folder():
    intermediate = DBT_PROJECT_DIR / "models" / "intermediate"
    entities = {"users", "stages", "deals", "deal_changes", "activities", "deal_contacts"}
    for crm in ("salesforce", "hubspot"):
        mapped = {p.stem.removeprefix(f"int_{crm}__") for p in (intermediate / crm).glob("*.sql")}
        assert entities <= mapped, crm
