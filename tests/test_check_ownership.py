"""Each check has one owner: dbt tests what dbt builds, great-expectations the rest.

great-expectations keeps the landing contracts of the raw tables and the checks that
look across runs (row-count change against the previous publish, freshness); every
key, relationship and value range of a mart is a dbt data test or contract
constraint, with the severity the check had when great-expectations ran it. An
error-severity range, value set or pattern is a check constraint of the mart's
enforced contract: DuckDB refuses to build the table, and no test query runs.
"""

import json
import re

import pytest

from expectations import load_suites
from expectations.strategies import FRESHNESS, ROW_COUNT_CHANGE
from pipelines.project import ensure_manifest

CROSS_RUN = {ROW_COUNT_CHANGE, FRESHNESS}
USERS = "relationships:dim_users.user_id"


def names(*id_columns: str, to: str = "dim_users") -> str:
    """The names_resolve check of a mart's (id, name) pairs, in MART_CHECKS' terms."""
    return f"names_resolve:{to}:{','.join(id_columns)}"


# What the mart suites of great-expectations checked, now in dbt: (mart, column or
# expression, dbt check, severity). "contract:not_null" is a not-null constraint of the
# mart's enforced contract: the table is not built with a null there.
MART_CHECKS = [
    ("dim_users", "user_id", "contract:not_null", "error"),
    ("dim_users", "user_id", "unique", "error"),
    ("dim_users", "depth", "values_between:0..", "error"),
    ("dim_users", "manager_id", USERS, "warn"),
    ("dim_users", "director_id", USERS, "error"),
    ("dim_users", None, names("manager_id", "director_id", "ceo_id"), "error"),
    ("dim_accounts", "account_id", "contract:not_null", "error"),
    ("dim_accounts", "account_id", "unique", "error"),
    ("dim_accounts", "open_deals", "values_between:0..", "error"),
    ("dim_accounts", "owner_id", USERS, "warn"),
    ("dim_accounts", None, names("owner_id"), "error"),
    ("fct_deals", "deal_id", "contract:not_null", "error"),
    ("fct_deals", "deal_id", "unique", "error"),
    ("fct_deals", "stage", "not_null", "error"),
    ("fct_deals", "amount", "values_between:0..", "warn"),
    ("fct_deals", "stage_age_ratio", "values_between:0..", "warn"),
    ("fct_deals", "hygiene_issue_count", "values_between:0..10", "error"),
    ("fct_deals", "owner_id", USERS, "warn"),
    ("fct_deals", "close_owner_id", USERS, "warn"),
    ("fct_deals", "manager_id", USERS, "warn"),
    ("fct_deals", None, names("owner_id", "manager_id", "close_owner_id"), "error"),
    ("fct_deals", None, names("account_id", to="int_accounts"), "error"),
    ("kpi_catalog_as_of", "metric_id", "contract:not_null", "error"),
    ("kpi_catalog_as_of", "metric_id", "unique", "error"),
    ("kpi_catalog_as_of", None, "kpi_catalog_every_metric_is_governed", "error"),
    ("kpi_catalog_as_of", None, "kpi_catalog_theme_is_known", "error"),
    ("kpi_catalog_as_of", None, "kpi_catalog_metrics_are_fresh", "warn"),
    ("leader_signals_weekly", "leader_id", "contract:not_null", "error"),
    ("leader_signals_weekly", "iso_week", "contract:not_null", "error"),
    ("leader_signals_weekly", "leader_id || '/' || iso_week", "unique", "error"),
    ("leader_signals_weekly", "iso_week", "matches_regex:^[0-9]{4}-W[0-9]{2}$", "error"),
    ("leader_signals_weekly", "leader_edit_share", "values_between:0..1", "error"),
    ("leader_signals_weekly", "leader_activity_share", "values_between:0..1", "error"),
    ("leader_signals_weekly", "touch_breadth", "values_between:0..1", "error"),
    ("leader_signals_weekly", "skip_level_share", "values_between:0..1", "error"),
    ("leader_signals_weekly", "reassignment_rate", "values_between:0..1", "warn"),
    ("leader_signals_weekly", "micromanagement_index", "values_between:0..7", "error"),
    ("leader_signals_weekly", "leader_id", USERS, "error"),
    ("leader_signals_weekly", "most_intervened_report_id", USERS, "warn"),
    ("leader_signals_weekly", None, names("leader_id", "most_intervened_report_id"), "error"),
    ("rep_hygiene", "rep_id", "contract:not_null", "error"),
    ("rep_hygiene", "rep_id", "unique", "error"),
    ("rep_hygiene", "completeness", "values_between:0..1", "error"),
    ("rep_hygiene", "open_deals", "values_between:0..", "error"),
    ("rep_hygiene", "orphaned_open_deals", "values_between:0..", "error"),
    ("pipeline_reconciliation", "as_of", "contract:not_null", "error"),
    ("pipeline_reconciliation", "as_of", "unique", "error"),
    ("pipeline_reconciliation", "unexplained_open_deals", "values_between:0..0", "error"),
    ("pipeline_reconciliation", "unexplained_difference", "values_between:0..0", "error"),
    ("rep_hygiene", "rep_id", USERS, "warn"),
    ("rep_hygiene", None, names("rep_id", "manager_id"), "error"),
    ("rep_skills", "rep_id", "contract:not_null", "error"),
    ("rep_skills", "skill", "contract:not_null", "error"),
    (
        "rep_skills",
        "rep_id || '/' || period_type || '/' || period_start || '/' || skill",
        "unique",
        "error",
    ),
    ("rep_skills", "period_type", "accepted_values:quarter,trailing", "error"),
    ("rep_skills", "metric_id", "accepted_values:P1,P2,P3,P4,P5,P6,P7,P8", "error"),
    ("rep_skills", "value", "values_between:0..", "warn"),
    ("rep_skills", "deals", "values_between:0..", "error"),
    ("rep_skills", "rep_id", USERS, "warn"),
    ("rep_skills", "team_leader_id", USERS, "warn"),
    ("rep_skills", None, names("rep_id", "team_leader_id", "director_id"), "error"),
    ("stage_funnel", "stage", "contract:not_null", "error"),
    ("stage_funnel", "quarter_start", "contract:not_null", "error"),
    (
        "stage_funnel",
        "source || '/' || pipeline || '/' || stage || '/' || quarter_start",
        "unique",
        "error",
    ),
    ("stage_funnel", "conversion", "values_between:0..1", "error"),
    ("stage_funnel", "entered", "values_between:0..", "error"),
    ("stage_funnel", "entered - advanced", "values_between:0..", "error"),
    ("team_scorecard", "team_leader_id", "contract:not_null", "error"),
    ("team_scorecard", "quarter_start", "contract:not_null", "error"),
    ("team_scorecard", "team_leader_id || '/' || quarter_start", "unique", "error"),
    (
        "team_scorecard",
        "team_leader_level",
        "accepted_values:organisation,director,manager",
        "error",
    ),
    ("team_scorecard", "orphaned_open_deals", "values_between:0..", "error"),
    *(
        ("team_scorecard", column, "values_between:0..1", "error")
        for column in (
            "autonomy_score",
            "process_score",
            "hygiene_score",
            "intervention_share_above",
            "stage_skip_rate",
            "stage_conversion",
            "win_rate",
            "end_of_quarter_concentration",
            "slipped_rate",
            "completeness",
        )
    ),
    ("team_scorecard", "team_leader_id", USERS, "error"),
    ("team_scorecard", "top_intervener_id", USERS, "warn"),
    (
        "team_scorecard",
        None,
        names("team_leader_id", "team_leader_manager_id", "director_id", "top_intervener_id"),
        "error",
    ),
]


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(ensure_manifest().read_text())


def dbt_checks(manifest: dict) -> set[tuple]:
    """Every dbt check on a mart, in MART_CHECKS' terms."""
    checks = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node.get("config", {}).get("schema") == "marts":
            for column in node["columns"].values():
                for constraint in column.get("constraints", []):
                    if constraint["type"] == "not_null":
                        checks.add((node["name"], column["name"], "contract:not_null", "error"))
                    elif constraint["type"] == "check":
                        checks.add((node["name"], *_as_check(constraint["expression"])))
            for constraint in node.get("constraints", []):
                if constraint["type"] == "check":
                    checks.add((node["name"], *_as_check(constraint["expression"])))
        if node["resource_type"] != "test":
            continue
        severity = node["config"]["severity"].lower()
        metadata = node.get("test_metadata")
        if metadata is None:  # a singular test: named after what it checks
            (model,) = {n.split(".")[-1] for n in node["depends_on"]["nodes"]}
            checks.add((model, None, node["name"], severity))
            continue
        model = node["attached_node"].split(".")[-1]
        kwargs = metadata["kwargs"]
        kind = metadata["name"]
        if kind == "values_between":
            low, high = kwargs.get("min_value"), kwargs.get("max_value")
            kind += f":{'' if low is None else low}..{'' if high is None else high}"
        elif kind == "relationships":
            target = kwargs["to"].removeprefix("ref('").removesuffix("')")
            kind += f":{target}.{kwargs['field']}"
        elif kind == "names_resolve":
            target = kwargs["to"].removeprefix("ref('").removesuffix("')")
            kind += f":{target}:{','.join(id_column for id_column, _ in kwargs['pairs'])}"
        elif kind == "accepted_values":
            kind += ":" + ",".join(map(str, kwargs["values"]))
        elif kind == "matches_regex":
            kind += ":" + kwargs["regex"]
        checks.add((model, kwargs.get("column_name"), kind, severity))
    return checks


def _as_check(expression: str) -> tuple[str, str, str]:
    """(column, check, severity) of a check constraint, in MART_CHECKS' terms.

    A constraint is a range, a value set or a pattern the table cannot be built
    without: an error-severity check that costs no query of its own.
    """
    if match := re.fullmatch(r"(.+) between (\S+) and (\S+)", expression):
        return match[1], f"values_between:{match[2]}..{match[3]}", "error"
    if match := re.fullmatch(r"(.+) >= (\S+)", expression):
        return match[1], f"values_between:{match[2]}..", "error"
    if match := re.fullmatch(r"(\w+) in \((.*)\)", expression):
        values = ",".join(v.strip().strip("'") for v in match[2].split(","))
        return match[1], f"accepted_values:{values}", "error"
    if match := re.fullmatch(r"regexp_matches\((\w+), '(.*)'\)", expression):
        return match[1], f"matches_regex:{match[2]}", "error"
    raise AssertionError(f"unrecognised check constraint: {expression}")


def test_mart_suites_keep_only_cross_run_checks():
    for table, suite in load_suites().items():
        if table.startswith("marts."):
            assert {spec.type for spec in suite.expectations} <= CROSS_RUN, table


def test_every_mart_check_is_a_dbt_test_with_its_severity(manifest):
    missing = set(MART_CHECKS) - dbt_checks(manifest)
    assert not missing, sorted(missing, key=str)


@pytest.mark.slow
def test_a_mart_refuses_a_value_outside_its_check_constraints(tiny_nightly, tmp_path):
    import shutil

    import duckdb

    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(tiny_nightly.published, copy)
    con = duckdb.connect(str(copy))
    try:
        with pytest.raises(duckdb.ConstraintException, match="CHECK"):
            con.execute("update marts.rep_hygiene set completeness = 1.5")
        with pytest.raises(duckdb.ConstraintException, match="CHECK"):
            con.execute("update marts.rep_skills set period_type = 'monthly'")
    finally:
        con.close()


@pytest.mark.slow
def test_a_name_missing_beside_a_resolving_id_fails_the_mart_names_check(tiny_nightly, tmp_path):
    import shutil

    import duckdb

    from tests.conftest import DEMO_AS_OF
    from tests.dbt_runner import run_dbt

    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(tiny_nightly.published, copy)
    names_check = ["test", "--select", "rep_hygiene_names_resolve"]
    assert run_dbt(names_check, tmp_path, copy, DEMO_AS_OF).returncode == 0
    con = duckdb.connect(str(copy))
    try:
        con.execute(
            "update marts.rep_hygiene set manager_name = null where rep_id = "
            "(select min(rep_id) from marts.rep_hygiene where manager_name is not null)"
        )
    finally:
        con.close()
    result = run_dbt(names_check, tmp_path, copy, DEMO_AS_OF)
    assert result.returncode != 0
    assert "FAIL 1 rep_hygiene_names_resolve" in result.stdout, result.stdout[-2000:]


# Staging keys that are a raw key renamed (and one not-null column):
# (staging model, column, raw table, raw column).
# The raw table's landing contract checks the raw column (not null, unique, error
# severity, blocking), so dbt only starts once it holds; a rename keeps both.
RENAMED_RAW_KEYS = [
    *(
        (f"stg_hubspot__{table}", key, f"raw_hubspot.{table}", "id")
        for table, key in [
            ("owners", "owner_id"),
            ("owner_teams", "owner_team_id"),
            ("deals", "deal_id"),
            ("deal_property_history", "history_id"),
            ("calls", "call_id"),
            ("emails", "email_id"),
            ("meetings", "meeting_id"),
            ("notes", "note_id"),
            ("tasks", "task_id"),
        ]
    ),
    (
        "stg_hubspot__deal_contact_associations",
        "deal_id",
        "raw_hubspot.deal_contact_associations",
        "deal_id",
    ),
    (
        "stg_hubspot__engagement_deal_associations",
        "engagement_id",
        "raw_hubspot.engagement_deal_associations",
        "engagement_id",
    ),
    *(
        (f"stg_salesforce__{model}", key, f"raw_salesforce.{table}", "Id")
        for model, key, table in [
            ("users", "user_id", "user"),
            ("user_roles", "user_role_id", "user_role"),
            ("accounts", "account_id", "account"),
            ("opportunities", "opportunity_id", "opportunity"),
            ("opportunity_stages", "opportunity_stage_id", "opportunity_stage"),
            ("opportunity_history", "opportunity_history_id", "opportunity_history"),
            (
                "opportunity_field_history",
                "opportunity_field_history_id",
                "opportunity_field_history",
            ),
            ("tasks", "task_id", "task"),
            ("events", "event_id", "event"),
            (
                "opportunity_contact_roles",
                "opportunity_contact_role_id",
                "opportunity_contact_role",
            ),
            ("dated_conversion_rates", "dated_conversion_rate_id", "dated_conversion_rate"),
        ]
    ),
    ("stg_salesforce__currency_types", "currency_code", "raw_salesforce.currency_type", "IsoCode"),
    (
        "stg_salesforce__dated_conversion_rates",
        "currency_code",
        "raw_salesforce.dated_conversion_rate",
        "IsoCode",
    ),
]

# A renamed raw column that is not a key: its dbt test was not_null only.
NOT_NULL_ONLY = {("stg_salesforce__dated_conversion_rates", "currency_code")}


def _tested_columns(manifest: dict) -> set[tuple[str, str]]:
    """(model, column) of every dbt data test on one column."""
    return {
        (node["attached_node"].split(".")[-1], node["column_name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and node.get("column_name") and node.get("attached_node")
    }


@pytest.mark.parametrize(("model", "key", "raw_table", "raw_column"), RENAMED_RAW_KEYS)
def test_a_staging_key_renamed_from_a_raw_key_is_checked_once_at_landing(
    manifest, model, key, raw_table, raw_column
):
    """The landing contract owns it: a dbt test on the view would be a node each night
    that cannot fail once the run's blocking landing checks have passed (issue #17)."""
    suite = load_suites()[raw_table]
    blocking = {
        (spec.type, spec.kwargs.get("column"))
        for spec in suite.expectations
        if spec.severity == "error"
    }
    assert ("expect_column_values_to_not_be_null", raw_column) in blocking
    if (model, key) not in NOT_NULL_ONLY:
        assert ("expect_column_values_to_be_unique", raw_column) in blocking
    node = next(n for n in manifest["nodes"].values() if n["name"] == model)
    # A bare rename of the raw column, in a view that filters, joins and repeats nothing.
    renamed = key if raw_column == key else f"{raw_column.lower()} as {key}"
    assert re.search(rf"^\s*{renamed},?$", node["raw_code"], re.MULTILINE)
    assert not re.search(r"\b(where|join|unnest|union|distinct)\b", node["raw_code"])
    assert (model, key) not in _tested_columns(manifest)


def test_a_staging_key_staging_derives_keeps_its_dbt_test(manifest):
    """Keys that are not a raw key renamed have no landing check to stand in for them."""
    tested = _tested_columns(manifest)
    assert ("stg_hubspot__deal_stages", "deal_stage_key") in tested
    assert ("stg_salesforce__opportunity_stages", "api_name") in tested
