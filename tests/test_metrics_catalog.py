"""The metric catalog holds together: every mart keeps its contract, every metric of
the registry is documented, unit-tested and published in `kpi_catalog`, and the same
raw data and as_of rebuild identical marts.

Column pins below are the BI contract: adding a column is fine, dropping or retyping
one fails here even when the model's YAML is edited in step with its SQL.
"""

from __future__ import annotations

import json
import re
import shutil
from functools import cache

import duckdb
import pytest
import yaml

from pipelines import warehouse as wh
from pipelines.calendar import recorded_calendar
from tests.conftest import DEMO_AS_OF
from tests.dbt_runner import DBT_PROJECT_DIR, run_dbt

MARTS_CONTRACT = {
    "dim_users": {
        "user_id": "VARCHAR", "source": "VARCHAR", "name": "VARCHAR", "email": "VARCHAR",
        "title": "VARCHAR", "role": "VARCHAR", "manager_id": "VARCHAR", "manager_name": "VARCHAR",
        "director_id": "VARCHAR", "director_name": "VARCHAR", "ceo_id": "VARCHAR",
        "ceo_name": "VARCHAR", "depth": "INTEGER", "is_active": "BOOLEAN", "is_manager": "BOOLEAN",
        "span_of_control": "INTEGER",
    },
    "dim_accounts": {
        "account_id": "VARCHAR", "account_name": "VARCHAR", "source": "VARCHAR",
        "owner_id": "VARCHAR", "owner_name": "VARCHAR", "open_deals": "INTEGER",
        "open_value": "DOUBLE",
    },
    "fct_deals": {
        "as_of": "DATE", "deal_id": "VARCHAR", "source": "VARCHAR", "deal_name": "VARCHAR",
        "account_id": "VARCHAR", "account_name": "VARCHAR", "owner_id": "VARCHAR",
        "owner_name": "VARCHAR", "manager_id": "VARCHAR", "manager_name": "VARCHAR",
        "stage": "VARCHAR", "stage_order": "INTEGER", "forecast_category": "VARCHAR",
        "amount": "DOUBLE", "currency_code": "VARCHAR", "amount_original": "DOUBLE",
        "close_date": "DATE", "created_on": "DATE", "is_closed": "BOOLEAN",
        "is_won": "BOOLEAN", "closed_on": "DATE", "close_owner_id": "VARCHAR",
        "close_owner_name": "VARCHAR", "last_activity_on": "DATE", "days_since_activity": "INTEGER",
        "days_since_change": "INTEGER", "days_in_stage": "INTEGER",
        "stage_baseline_days": "DOUBLE", "stage_age_ratio": "DOUBLE", "push_count": "INTEGER",
        "quarter_push_count": "INTEGER", "contact_count": "INTEGER", "is_stale": "BOOLEAN",
        "is_past_due": "BOOLEAN", "is_slipping": "BOOLEAN", "is_stuck": "BOOLEAN",
        "is_missing_next_step": "BOOLEAN", "is_complete": "BOOLEAN",
        "is_single_threaded": "BOOLEAN", "has_stage_regression": "BOOLEAN",
        "has_stage_skip": "BOOLEAN", "has_slipped_this_quarter": "BOOLEAN",
        "is_stale_value": "BOOLEAN", "is_owner_inactive": "BOOLEAN",
        "hygiene_issue_count": "INTEGER",
    },
    "rep_hygiene": {
        "rep_id": "VARCHAR", "rep_name": "VARCHAR", "manager_id": "VARCHAR",
        "manager_name": "VARCHAR", "is_active": "BOOLEAN", "as_of": "DATE",
        "open_deals": "INTEGER", "open_value": "DOUBLE", "stale_deals": "INTEGER",
        "past_due_deals": "INTEGER", "slipping_deals": "INTEGER", "stuck_deals": "INTEGER",
        "missing_next_step_deals": "INTEGER", "completeness": "DOUBLE",
        "single_threaded_deals": "INTEGER", "stage_regression_deals": "INTEGER",
        "stage_skip_deals": "INTEGER", "forward_moves": "INTEGER", "skipped_moves": "INTEGER",
        "stage_skip_rate": "DOUBLE", "slipped_deals": "INTEGER", "due_value": "DOUBLE",
        "slipped_value": "DOUBLE", "slipped_rate": "DOUBLE", "stale_value_deals": "INTEGER",
        "stale_value_share": "DOUBLE", "clean_deal_share": "DOUBLE",
        "orphaned_open_deals": "INTEGER", "orphaned_open_value": "DOUBLE",
    },
    "leader_signals_weekly": {
        "leader_id": "VARCHAR", "leader_name": "VARCHAR", "iso_week": "VARCHAR",
        "week_start": "DATE",
        "quarter_start": "DATE", "is_late_quarter_week": "BOOLEAN", "as_of": "DATE",
        "leader_depth": "INTEGER", "leader_is_active": "BOOLEAN", "span_of_control": "INTEGER",
        "subtree_open_deals": "INTEGER", "key_field_changes": "INTEGER",
        "leader_key_field_changes": "INTEGER", "leader_edit_share": "DOUBLE",
        "activities": "INTEGER", "leader_activities": "INTEGER",
        "leader_activity_share": "DOUBLE", "directive_tasks": "INTEGER",
        "forecast_overrides": "INTEGER", "late_quarter_takeovers": "INTEGER",
        "reassignments": "INTEGER", "reassignment_rate": "DOUBLE", "touched_deals": "INTEGER",
        "touch_breadth": "DOUBLE", "interventions": "INTEGER",
        "skip_level_interventions": "INTEGER", "skip_level_share": "DOUBLE",
        "most_intervened_report_id": "VARCHAR", "most_intervened_report_name": "VARCHAR",
        "micromanagement_index": "INTEGER",
        "breached_signals": "VARCHAR",
    },
    "rep_skills": {
        "rep_id": "VARCHAR", "rep_name": "VARCHAR", "team_leader_id": "VARCHAR",
        "team_leader_name": "VARCHAR", "director_id": "VARCHAR", "director_name": "VARCHAR",
        "is_active": "BOOLEAN", "period_type": "VARCHAR", "period_start": "DATE",
        "period_end": "DATE", "period_label": "VARCHAR", "as_of": "DATE", "metric_id": "VARCHAR",
        "metric_name": "VARCHAR", "stage": "VARCHAR", "skill": "VARCHAR", "direction": "VARCHAR",
        "value": "DOUBLE", "deals": "INTEGER", "standard_error": "DOUBLE", "team_reps": "INTEGER",
        "team_median": "DOUBLE", "team_p25": "DOUBLE", "team_p75": "DOUBLE",
        "is_evaluated": "BOOLEAN", "is_skill_gap": "BOOLEAN",
    },
    "stage_funnel": {
        "source": "VARCHAR", "pipeline": "VARCHAR", "stage": "VARCHAR", "stage_order": "INTEGER",
        "quarter_start": "DATE", "quarter_end": "DATE", "quarter_label": "VARCHAR",
        "as_of": "DATE", "entered": "INTEGER", "advanced": "INTEGER", "resolved": "INTEGER",
        "still_in_stage": "INTEGER", "conversion": "DOUBLE", "median_days_in_stage": "DOUBLE",
    },
    "team_scorecard": {
        "team_leader_id": "VARCHAR", "team_leader_name": "VARCHAR",
        "team_leader_level": "VARCHAR", "team_leader_manager_id": "VARCHAR",
        "team_leader_manager_name": "VARCHAR", "director_id": "VARCHAR",
        "director_name": "VARCHAR", "team_leader_is_active": "BOOLEAN", "quarter_start": "DATE",
        "quarter_end": "DATE", "quarter_label": "VARCHAR", "is_current_quarter": "BOOLEAN",
        "as_of": "DATE", "span_of_control": "INTEGER", "team_members": "INTEGER",
        "autonomy_score": "DOUBLE", "process_score": "DOUBLE", "hygiene_score": "DOUBLE",
        "team_actions": "INTEGER", "interventions_above": "INTEGER",
        "late_quarter_interventions_above": "INTEGER", "takeovers_above": "INTEGER",
        "intervention_share_above": "DOUBLE", "top_intervener_id": "VARCHAR",
        "top_intervener_name": "VARCHAR", "top_intervener_interventions": "INTEGER",
        "own_micromanagement_index": "DOUBLE",
        "own_breached_weeks": "INTEGER", "forward_moves": "INTEGER", "stage_skip_rate": "DOUBLE",
        "stage_conversion": "DOUBLE", "median_days_in_stage": "DOUBLE", "closed_deals": "INTEGER",
        "win_rate": "DOUBLE", "won_value": "DOUBLE", "end_of_quarter_concentration": "DOUBLE",
        "due_value": "DOUBLE", "slipped_rate": "DOUBLE", "skill_gaps": "INTEGER",
        "reps_with_skill_gap": "INTEGER", "trailing_skill_gaps": "INTEGER",
        "trailing_reps_with_skill_gap": "INTEGER", "open_deals": "INTEGER",
        "stale_deals": "INTEGER", "past_due_deals": "INTEGER", "slipping_deals": "INTEGER",
        "completeness": "DOUBLE", "clean_deal_share": "DOUBLE",
        "source_freshness_hours": "DOUBLE", "is_data_fresh": "BOOLEAN",
        "team_open_value": "DOUBLE", "leader_open_value": "DOUBLE",
        "leader_open_pipeline_share": "DOUBLE", "leader_won_value": "DOUBLE",
        "leader_won_value_share": "DOUBLE", "is_selling_instead_of_leading": "BOOLEAN",
        "orphaned_open_deals": "INTEGER", "orphaned_open_value": "DOUBLE",
    },
    "pipeline_reconciliation": {
        "as_of": "DATE", "crm_open_deals": "INTEGER", "crm_open_value": "DOUBLE",
        "mart_open_deals": "INTEGER", "mart_open_value": "DOUBLE",
        "quarantined_open_deals": "INTEGER", "quarantined_open_value": "DOUBLE",
        "changed_since_as_of_open_deals": "INTEGER", "changed_since_as_of_open_value": "DOUBLE",
        "unexplained_open_deals": "INTEGER", "unexplained_difference": "DOUBLE",
    },
    "kpi_catalog_as_of": {
        "metric_id": "VARCHAR", "name": "VARCHAR", "theme": "VARCHAR", "definition": "VARCHAR",
        "formula": "VARCHAR", "grain": "VARCHAR", "table_name": "VARCHAR",
        "column_name": "VARCHAR", "threshold": "VARCHAR", "threshold_value": "DOUBLE",
        "threshold_source": "VARCHAR", "owner": "VARCHAR", "source_tables": "VARCHAR",
        "computed_as_of": "DATE", "source_last_loaded_at": "TIMESTAMP WITH TIME ZONE",
        "source_freshness_hours_at_as_of": "DOUBLE", "is_fresh_at_as_of": "BOOLEAN",
        "org_value": "DOUBLE", "org_value_definition": "VARCHAR", "note": "VARCHAR",
        "label": "VARCHAR", "unit": "VARCHAR", "higher_is_better": "BOOLEAN",
        "display_order": "INTEGER", "trust_gap_cause": "VARCHAR",
    },
}  # fmt: skip
# A view over kpi_catalog_as_of: its columns, then these, computed when read.
MARTS_CONTRACT["kpi_catalog"] = {
    **MARTS_CONTRACT["kpi_catalog_as_of"],
    "published_at": "TIMESTAMP WITH TIME ZONE",
    "source_freshness_hours": "DOUBLE",
    "freshness_status": "VARCHAR",
    "is_fresh": "BOOLEAN",
}

CATALOG_IDS = (
    [f"H{n}" for n in range(1, 13)]
    + [f"M{n}" for n in range(1, 10)]
    + ["MI"]
    + [f"P{n}" for n in range(1, 9)]
    + ["K1", "K2", "K3"]
)


@cache
def _manifest() -> dict:
    from pipelines.project import ensure_manifest

    return json.loads(ensure_manifest().read_text())


def _mart_nodes() -> dict[str, dict]:
    return {
        node["name"]: node
        for node in _manifest()["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") == "marts"
    }


def _registry() -> list[dict]:
    return _mart_nodes()["kpi_catalog_as_of"]["config"]["meta"]["metrics"]


# -- contracts and documentation ------------------------------------------------------


def test_published_marts_keep_their_pinned_columns_and_types(tiny_nightly):
    rows = tiny_nightly.query(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'marts'"
    )
    published: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        published.setdefault(table, {})[column] = data_type
    for table, columns in MARTS_CONTRACT.items():
        assert table in published, f"mart {table} is missing"
        for column, data_type in columns.items():
            assert published[table].get(column) == data_type, f"{table}.{column}"


# The contracts spell text `string` (Spark's type; DuckDB's alias of VARCHAR, the column
# type BI sees on DuckDB).
DUCKDB_ALIASES = {"STRING": "VARCHAR"}


def test_every_mart_enforces_a_contract_that_keeps_the_pins():
    nodes = _mart_nodes()
    assert set(MARTS_CONTRACT) <= set(nodes)
    for name, node in nodes.items():
        assert node["config"]["contract"]["enforced"], name
        declared = {
            c: DUCKDB_ALIASES.get(v.get("data_type", "").upper(), v.get("data_type", "").upper())
            for c, v in node["columns"].items()
        }
        for column, data_type in MARTS_CONTRACT.get(name, {}).items():
            assert declared.get(column) == data_type, f"{name}.{column}"


def test_every_mart_column_is_described():
    for name, node in _mart_nodes().items():
        assert node["description"], name
        undocumented = [c for c, v in node["columns"].items() if not v.get("description")]
        assert undocumented == [], name


def test_bi_marts_are_exposed():
    exposed = {
        dep.split(".")[-1]
        for exposure in _manifest()["exposures"].values()
        for dep in exposure["depends_on"]["nodes"]
    }
    assert set(MARTS_CONTRACT) <= exposed


def test_dbt_docs_generate_works(tmp_path):
    # No warehouse needed: the catalog step finds no relations and still succeeds.
    result = run_dbt(
        ["docs", "generate", "--empty-catalog"], tmp_path, tmp_path / "docs.duckdb", DEMO_AS_OF
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "target" / "index.html").exists()


# -- the registry drives the catalog, the docs and the tests ----------------------------


def test_registry_lists_every_catalog_metric_once():
    ids = [metric["id"] for metric in _registry()]
    assert sorted(ids) == sorted(CATALOG_IDS)


def test_registry_entries_point_at_documented_contract_columns():
    nodes = _mart_nodes()
    required = {"id", "name", "theme", "definition", "formula", "grain", "table", "column"}
    for metric in _registry():
        assert required <= set(metric), metric["id"]
        assert metric["owner"] and metric["threshold"], metric["id"]
        node = nodes[metric["table"]]
        words = set(re.findall(r"[a-z_]+", metric["column"]))
        columns = [c for c in node["columns"] if c in words]
        assert columns, f"{metric['id']}: no column of {metric['table']} in {metric['column']!r}"
        texts = [node["columns"][c]["description"] for c in columns] + [node["description"]]
        assert any(re.search(rf"\b{metric['id']}\b", t) for t in texts), metric["id"]


def test_registry_var_defaults_are_the_dbt_project_defaults():
    project_vars = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    for metric in _registry():
        for name, default in (metric.get("threshold_vars") or {}).items():
            assert project_vars[name] == default, f"{metric['id']}: var {name}"
        if metric.get("threshold_var"):
            assert metric["threshold_var"] in project_vars, metric["id"]


def test_every_metric_has_a_dbt_unit_test():
    covered = {
        metric_id
        for test in _manifest()["unit_tests"].values()
        for metric_id in test["config"].get("meta", {}).get("metric_ids", [])
    }
    missing = sorted(set(CATALOG_IDS) - covered)
    assert missing == []


def test_models_never_read_the_clock():
    """Same raw data and as_of, same tables. The one exception is the view BI reads,
    marts.kpi_catalog, whose K1 freshness is meant to age with the clock when read."""
    clock = re.compile(r"\b(now|current_date|current_timestamp|get_current_timestamp|today)\b")
    read_time = DBT_PROJECT_DIR / "models/marts/kpi_catalog.sql"
    for folder in ("models", "macros"):
        for path in (DBT_PROJECT_DIR / folder).rglob("*.sql"):
            if path == read_time:
                continue
            text = re.sub(r"\{#.*?#\}|--[^\n]*", "", path.read_text(), flags=re.S)
            assert not clock.search(text.lower()), path


# -- the published catalog on the demo org ---------------------------------------------


def test_kpi_catalog_publishes_every_metric_with_its_threshold_and_freshness(tiny_nightly):
    rows = {
        row[0]: row[1:]
        for row in tiny_nightly.query(
            "select metric_id, formula, threshold, threshold_value, threshold_source, "
            "computed_as_of::varchar, source_freshness_hours_at_as_of, is_fresh_at_as_of, "
            "org_value from marts.kpi_catalog"
        )
    }
    assert sorted(rows) == sorted(CATALOG_IDS)
    for metric_id, (formula, threshold, _, source, as_of, hours, fresh, _) in rows.items():
        assert "{" not in formula + threshold, metric_id
        assert source, metric_id
        assert as_of == DEMO_AS_OF, metric_id
        assert hours == 0.0 and fresh, metric_id
    assert rows["H1"][2] == 14.0 and "dbt var stale_days = 14" in rows["H1"][3]
    assert rows["H3"][2] == 2.0 and rows["H4"][2] == 2.0
    assert rows["H6"][2] == 0.9 and rows["H10"][2] == 0.2 and rows["H11"][2] == 0.25
    assert rows["K1"][2] == 12.0
    assert rows["K2"][7] > 0.9  # the demo org tracks field history on (nearly) every deal
    assert rows["K3"][7] == 1.0


# -- determinism ------------------------------------------------------------------------


@pytest.mark.slow
def test_same_raw_data_and_as_of_rebuild_identical_marts(tiny_nightly, tmp_path, monkeypatch):
    rebuilt = tmp_path / "rebuilt.duckdb"
    # The working file holds the raw tables the marts are built from, and the calendar
    # (the org's fiscal year and time zone) the run built them with.
    shutil.copyfile(wh.working_path(tiny_nightly.published), rebuilt)
    with duckdb.connect(str(rebuilt), read_only=True) as con:
        for name, value in recorded_calendar(con).environment().items():
            monkeypatch.setenv(name, value)
    result = run_dbt(["run"], tmp_path, rebuilt, DEMO_AS_OF)
    assert result.returncode == 0, result.stdout[-3000:]
    con = duckdb.connect()
    try:
        con.execute(f"attach '{rebuilt}' as rebuilt (read_only)")
        con.execute(f"attach '{tiny_nightly.published}' as published (read_only)")
        # kpi_catalog is a view computed when read (now(), the publish log); the
        # table under it, kpi_catalog_as_of, is what a build produces.
        for table in set(MARTS_CONTRACT) - {"kpi_catalog"}:
            for left, right in (("rebuilt", "published"), ("published", "rebuilt")):
                (differing,) = con.execute(
                    f"select count(*) from (select * from {left}.marts.{table} "
                    f"except all select * from {right}.marts.{table})"
                ).fetchone()
                assert differing == 0, f"{table}: {left} has rows {right} lacks"
    finally:
        con.close()
