"""Expectations that look beyond their table: other tables, the previous publish, the clock.

Also: every raw table of both CRMs and every mart has a suite naming real columns, and
the suites run as Dagster asset checks in the nightly run.
"""

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from connectors.hubspot.objects import TABLES as HUBSPOT_TABLES
from connectors.salesforce.objects import OBJECTS as SALESFORCE_OBJECTS
from expectations import (
    Suite,
    SuiteError,
    ValidationContext,
    attach_baseline,
    load_suites,
    validate_table,
)
from expectations.strategies import REFERENTIAL

ROOT = Path(__file__).resolve().parent.parent
MARTS = {path.stem for path in (ROOT / "dbt_project" / "models" / "marts").glob("[!_]*.sql")}
LOADED = dt.datetime(2026, 11, 27, 6, 0, tzinfo=dt.UTC)

WAREHOUSE_SQL = """
create schema marts;
create schema raw_crm;

create table marts.dim_users (user_id varchar, manager_id varchar);
insert into marts.dim_users values ('U1', null), ('U2', 'U1'), ('U3', 'U9');

create table marts.fct_deals (deal_id varchar, owner_id varchar);
insert into marts.fct_deals values
    ('D1', 'U1'), ('D2', 'U2'), ('D3', null), ('D4', 'GONE'), ('D5', 'GONE'), ('D6', 'LEFT');

create table raw_crm.deals (id varchar, amount double, _loaded_at timestamptz);
insert into raw_crm.deals values
    ('A', 1.0, timestamptz '2026-11-27 06:00:00+00'),
    ('B', 2.0, timestamptz '2026-11-26 06:00:00+00');
create table raw_crm.calls (id varchar, _loaded_at timestamptz);
create table raw_crm.owners (id varchar, _loaded_at varchar);
insert into raw_crm.owners values ('O1', '2026-11-27');
"""


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = tmp_path_factory.mktemp("context") / "warehouse.duckdb"
    connection = duckdb.connect(str(path))
    connection.execute(WAREHOUSE_SQL)
    yield connection
    connection.close()


def suite_of(table: str, *entries: dict) -> Suite:
    return Suite.from_dict({"table": table, "expectations": list(entries)})


def only(result):
    (outcome,) = result.expectations
    return outcome


def exists_in_users(column: str, **extra) -> dict:
    kwargs = {"column": column, "other_table": "marts.dim_users", "other_column": "user_id"}
    return {"type": REFERENTIAL, "kwargs": kwargs, **extra}


# -- referential integrity ------------------------------------------------------------


def test_values_found_in_the_other_table_pass_and_nulls_are_ignored(con):
    result = validate_table(
        con, suite_of("marts.dim_users", exists_in_users("user_id", severity="error"))
    )

    outcome = only(result)
    assert outcome.success
    assert outcome.label == (
        "expect_column_values_to_exist_in_table(user_id, marts.dim_users.user_id)"
    )
    assert outcome.observed["unexpected_count"] == 0


def test_orphans_are_counted_and_named_by_key_column(con):
    entry = exists_in_users("owner_id", severity="error", key_column="deal_id")

    result = validate_table(con, suite_of("marts.fct_deals", entry))

    assert not result.success
    outcome = only(result)
    assert outcome.observed == {
        "element_count": 6,
        "missing_count": 1,
        "unexpected_count": 3,
        "unexpected_percent": 60.0,
        "orphan_values": 2,
        "partial_unexpected_list": ["GONE", "LEFT"],  # most frequent first
    }
    assert outcome.sample_keys == ["D4", "D5", "D6"]


def test_without_key_column_the_orphan_values_are_the_sample_keys(con):
    result = validate_table(
        con, suite_of("marts.dim_users", exists_in_users("manager_id", severity="warn"))
    )

    outcome = only(result)
    assert result.success  # warn only
    assert not outcome.success
    assert outcome.sample_keys == ["U9"]
    assert outcome.observed["missing_count"] == 1


def test_mostly_tolerates_a_share_of_orphans(con):
    kwargs = {"column": "owner_id", "other_table": "marts.dim_users", "other_column": "user_id"}
    loose = {"type": REFERENTIAL, "kwargs": {**kwargs, "mostly": 0.4}, "severity": "error"}
    strict = {"type": REFERENTIAL, "kwargs": {**kwargs, "mostly": 0.5}, "severity": "error"}

    assert only(validate_table(con, suite_of("marts.fct_deals", loose))).success
    assert not only(validate_table(con, suite_of("marts.fct_deals", strict))).success


def test_a_missing_other_table_fails_only_its_expectation(con):
    kwargs = {"column": "owner_id", "other_table": "marts.dim_people", "other_column": "user_id"}
    entries = (
        {"type": REFERENTIAL, "kwargs": kwargs, "severity": "error"},
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "deal_id"},
            "severity": "error",
        },
    )

    result = validate_table(con, suite_of("marts.fct_deals", *entries))

    (failure,) = result.blocking_failures
    assert failure.observed == {"error": "other table marts.dim_people not found"}


# -- row count against the previous publish ----------------------------------------------


def row_count_change(**kwargs) -> dict:
    return {
        "type": "expect_table_row_count_change_to_be_between",
        "kwargs": {"min_ratio": 0.5, "max_ratio": 2.0, **kwargs},
        "severity": "warn",
    }


@pytest.fixture
def published(tmp_path):
    """A previous publish holding 4 deals and 1 user, and no calls table."""
    path = tmp_path / "published.duckdb"
    with duckdb.connect(str(path)) as previous:
        previous.execute(
            "create schema raw_crm; create schema marts;"
            "create table raw_crm.deals as select 'X' || i as id from range(4) r(i);"
            "create table marts.dim_users as select 'U1' as user_id;"
            "create schema trustgap_meta;"
            "create table trustgap_meta.runs (run_id varchar, as_of date, source varchar, "
            "published_at timestamptz);"
            "insert into trustgap_meta.runs values "
            "('r1', '2026-11-26', 'demo', timestamptz '2026-11-26 02:10:00+00')"
        )
    return path


def test_row_count_within_bounds_of_the_previous_publish_passes(con, published):
    with attach_baseline(con, published) as (catalog, note):
        context = ValidationContext(baseline_catalog=catalog, baseline_note=note)
        outcome = only(
            validate_table(con, suite_of("raw_crm.deals", row_count_change()), context=context)
        )

    assert outcome.success
    assert outcome.observed == {
        "current_rows": 2,
        "previous_rows": 4,
        "ratio": 0.5,
        "compared_with": (
            "previous published run (as of 2026-11-26, published 2026-11-26 02:10 UTC)"
        ),
    }


def test_row_count_outside_bounds_warns_with_previous_current_and_ratio(con, published):
    entry = row_count_change(min_ratio=0.8)
    with attach_baseline(con, published) as (catalog, note):
        context = ValidationContext(baseline_catalog=catalog, baseline_note=note)
        result = validate_table(con, suite_of("raw_crm.deals", entry), context=context)

    assert result.success  # warn severity
    (warning,) = result.warnings
    assert warning.observed["previous_rows"] == 4
    assert warning.observed["current_rows"] == 2
    assert warning.observed["ratio"] == 0.5
    # The baseline is detached again: the caller's connection is left as it was.
    assert "previous_publish" not in {
        name for (name,) in con.execute("select database_name from duckdb_databases()").fetchall()
    }


def test_row_count_passes_when_there_is_nothing_to_compare_with(con, published, tmp_path):
    with attach_baseline(con, tmp_path / "never_published.duckdb") as (catalog, note):
        context = ValidationContext(baseline_catalog=catalog, baseline_note=note)
        first_run = only(
            validate_table(con, suite_of("raw_crm.deals", row_count_change()), context=context)
        )
    with attach_baseline(con, published) as (catalog, note):
        context = ValidationContext(baseline_catalog=catalog, baseline_note=note)
        new_table = only(
            validate_table(con, suite_of("raw_crm.calls", row_count_change()), context=context)
        )
        tiny = only(
            validate_table(
                con,
                suite_of("marts.dim_users", row_count_change(min_previous_rows=20)),
                context=context,
            )
        )

    assert first_run.success
    assert first_run.observed == {
        "current_rows": 2,
        "previous_rows": None,
        "ratio": None,
        "note": "no previous published run",
    }
    assert new_table.success
    assert new_table.observed["note"].startswith(
        "raw_crm.calls is not in the previous published run"
    )
    assert tiny.success
    assert tiny.observed["previous_rows"] == 1
    assert tiny.observed["note"] == "not compared: fewer than min_previous_rows (20) rows before"


def test_the_published_file_is_no_baseline_for_itself(con):
    ((path,),) = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()

    with attach_baseline(con, Path(path)) as (catalog, note):
        assert catalog is None
        assert "itself" in note


# -- freshness -----------------------------------------------------------------------------


def freshness(column: str = "_loaded_at", hours: float = 12) -> dict:
    return {
        "type": "expect_column_max_to_be_recent",
        "kwargs": {"column": column, "max_age_hours": hours},
        "severity": "warn",
    }


def test_recent_load_passes_and_reports_its_age(con):
    context = ValidationContext(reference_at=LOADED + dt.timedelta(hours=3))

    outcome = only(validate_table(con, suite_of("raw_crm.deals", freshness()), context=context))

    assert outcome.success
    assert outcome.observed == {
        "latest": "2026-11-27T06:00:00+00:00",
        "reference_at": "2026-11-27T09:00:00+00:00",
        "max_age_hours": 12,
        "age_hours": 3.0,
    }


def test_stale_load_fails_with_its_age(con):
    context = ValidationContext(reference_at=LOADED + dt.timedelta(hours=30))

    result = validate_table(con, suite_of("raw_crm.deals", freshness()), context=context)

    (warning,) = result.warnings
    assert warning.observed["age_hours"] == 30.0


def test_a_table_synced_with_nothing_new_is_as_fresh_as_its_sync(con):
    # Rows landed 30 h ago; this run's incremental sync, 1 h ago, found nothing new.
    reference = LOADED + dt.timedelta(hours=30)
    context = ValidationContext(
        reference_at=reference, last_synced_at=reference - dt.timedelta(hours=1)
    )

    outcome = only(validate_table(con, suite_of("raw_crm.deals", freshness()), context=context))

    assert outcome.success
    assert outcome.observed["age_hours"] == 1.0
    assert outcome.observed["last_synced_at"] == "2026-11-28T11:00:00+00:00"


def test_empty_table_passes_freshness(con):
    outcome = only(validate_table(con, suite_of("raw_crm.calls", freshness())))

    assert outcome.success
    assert outcome.observed == {"note": "empty table"}


def test_freshness_needs_a_timestamp_column(con):
    outcome = only(validate_table(con, suite_of("raw_crm.owners", freshness())))

    assert not outcome.success
    assert "VARCHAR" in outcome.observed["error"]


def test_without_max_age_hours_the_threshold_of_its_severity_comes_from_the_context(con):
    context = ValidationContext(
        reference_at=LOADED + dt.timedelta(hours=20),
        freshness_hours={"warn": 12, "error": 24},
    )
    entries = [
        {**freshness(), "kwargs": {"column": "_loaded_at"}},
        {**freshness(), "kwargs": {"column": "_loaded_at"}, "severity": "error"},
    ]

    result = validate_table(con, suite_of("raw_crm.deals", *entries), context=context)

    warn, error = result.expectations
    assert (warn.success, warn.observed["max_age_hours"]) == (False, 12)
    assert (error.success, error.observed["max_age_hours"]) == (True, 24)


def test_without_any_threshold_freshness_fails_saying_what_to_give(con):
    entry = {**freshness(), "kwargs": {"column": "_loaded_at"}}

    outcome = only(validate_table(con, suite_of("raw_crm.deals", entry)))

    assert not outcome.success
    assert "max_age_hours" in outcome.observed["error"]


# -- the suite format ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"type": REFERENTIAL, "kwargs": {"column": "a", "other_table": "users"}}, "missing"),
        (
            {
                "type": REFERENTIAL,
                "kwargs": {"column": "a", "other_table": "users", "other_column": "id"},
            },
            "schema.table",
        ),
        (
            {
                "type": REFERENTIAL,
                "kwargs": {
                    "column": "a",
                    "other_table": "marts.users",
                    "other_column": "id",
                    "mostly": 2,
                },
            },
            "mostly",
        ),
        ({"type": "expect_table_row_count_change_to_be_between", "kwargs": {}}, "min_ratio"),
        (
            {
                "type": "expect_table_row_count_change_to_be_between",
                "kwargs": {"min_ratio": 2, "max_ratio": 1},
            },
            "above",
        ),
        (
            {
                "type": "expect_table_row_count_change_to_be_between",
                "kwargs": {"max_ratio": 2, "min_previous_rows": 0},
            },
            "min_previous_rows",
        ),
        (
            {
                "type": "expect_table_row_count_change_to_be_between",
                "kwargs": {"max_ratio": 2, "row_condition": "a > 1"},
            },
            "row_condition",
        ),
        (
            {
                "type": "expect_column_max_to_be_recent",
                "kwargs": {"column": "_loaded_at", "max_age_hours": 0},
            },
            "max_age_hours",
        ),
        (
            {
                "type": "expect_column_max_to_be_recent",
                "kwargs": {"column": "_loaded_at", "max_age_hours": 12, "mostly": 1},
            },
            "unsupported kwargs",
        ),
    ],
)
def test_malformed_context_expectations_are_refused(entry, message):
    with pytest.raises(SuiteError, match=message):
        Suite.from_dict({"table": "marts.x", "expectations": [{**entry, "severity": "warn"}]})


# -- the shipped suites ------------------------------------------------------------------------


def raw_catalog() -> dict[str, set[str]]:
    """Every raw table the connectors land, with its columns (plus the landing time)."""
    tables = {f"raw_salesforce.{obj.table}": set(obj.field_names) for obj in SALESFORCE_OBJECTS}
    tables |= {f"raw_hubspot.{table.name}": set(table.column_names) for table in HUBSPOT_TABLES}
    return {table: columns | {"_loaded_at"} for table, columns in tables.items()}


def mart_catalog() -> dict[str, set[str]]:
    """Every mart with the columns its dbt YAML documents (in whichever marts YAML)."""
    documented = {
        model["name"]: {column["name"] for column in model["columns"]}
        for path in (ROOT / "dbt_project/models/marts").glob("*.yml")
        for model in (yaml.safe_load(path.read_text()) or {}).get("models") or []
    }
    return {f"marts.{name}": documented[name] for name in MARTS}


def test_every_raw_table_of_both_crms_and_every_mart_has_a_suite():
    assert set(load_suites()) == set(raw_catalog()) | set(mart_catalog())


def test_suites_name_only_columns_their_tables_have():
    catalog = raw_catalog() | mart_catalog()
    for table, suite in load_suites().items():
        for spec in suite.expectations:
            named = {*spec.columns, spec.key_column} - {None}
            assert named <= catalog[table], f"{table}: {spec.label} names {named - catalog[table]}"
            if spec.type == REFERENTIAL:
                other = spec.kwargs["other_table"]
                assert spec.kwargs["other_column"] in catalog[other], f"{table}: {spec.label}"


def test_raw_suites_have_keys_freshness_and_errors_only_where_earned_marts_row_counts():
    for table, suite in load_suites().items():
        types = {spec.type for spec in suite.expectations}
        if table.startswith("raw_"):
            assert "expect_column_values_to_be_unique" in types, table
            assert "expect_column_max_to_be_recent" in types, table
            # Raw data is the CRM's: only a missing or duplicated key blocks the publish.
            blocking = {s.type for s in suite.expectations if s.severity == "error"}
            assert blocking <= {
                "expect_column_values_to_not_be_null",
                "expect_column_values_to_be_unique",
            }, table
        else:
            # Keys, relationships and ranges of a mart are dbt's (tests/test_check_ownership.py).
            assert types == {"expect_table_row_count_change_to_be_between"}, table


# -- in Dagster ----------------------------------------------------------------------------


def test_every_suite_is_a_blocking_asset_check_on_its_table():
    from pipelines.definitions import defs

    graph = defs().get_repository_def().asset_graph
    checks = {
        (key.asset_key.to_user_string(), key.name): graph.get_check_spec(key)
        for key in graph.asset_check_keys
    }
    for table in load_suites():
        schema, name = table.split(".")
        spec = checks[(f"{schema}/{name}", f"gx_{name}")]
        assert spec.blocking, table


def test_nightly_runs_every_suite_and_no_error_level_check_fails(tiny_nightly):
    evaluations = {
        (e.asset_key.to_user_string(), e.check_name): e
        for e in tiny_nightly.result.get_asset_check_evaluations()
        if e.check_name.startswith("gx_")
    }

    assert set(evaluations) == {
        (table.replace(".", "/"), "gx_" + table.split(".")[1]) for table in load_suites()
    }
    blocking = [
        key for key, e in evaluations.items() if not e.passed and e.severity.value == "ERROR"
    ]
    assert blocking == []
    # The tiny org's planted problems show as warnings a person can act on.
    deals = evaluations[("raw_salesforce/opportunity", "gx_opportunity")]
    assert not deals.passed
    failures = {f["expectation"]: f for f in deals.metadata["failures"].value}
    stage = failures[
        "expect_column_values_to_exist_in_table("
        "StageName, raw_salesforce.opportunity_stage.MasterLabel)"
    ]
    assert stage["severity"] == "warn"
    assert stage["observed"]["partial_unexpected_list"] == ["Verbal Commit"]
    assert len(stage["sample_keys"]) == 1


def test_the_asset_check_compares_row_counts_with_the_published_run(tiny_nightly, tmp_path):
    """The check attaches the published warehouse beside the run's working one."""
    from pipelines.defs.quality_checks import check_suites
    from pipelines.resources import RunParams, Warehouse

    published = tmp_path / "trustgap.duckdb"
    shutil.copyfile(tiny_nightly.published, published)
    working = tmp_path / "trustgap.working.duckdb"
    with duckdb.connect(str(working)) as con:
        con.execute(f"attach '{tiny_nightly.published}' as run (read_only)")
        con.execute("create schema marts")
        # Two deals in three vanished since the published run.
        con.execute(
            "create table marts.fct_deals as select * from run.marts.fct_deals "
            "qualify row_number() over (order by deal_id) % 3 = 0"
        )
    suite = load_suites()["marts.fct_deals"]

    (result,) = check_suites([suite], Warehouse(path=str(published)), RunParams(as_of="2026-11-27"))

    (before,) = tiny_nightly.query("select count(*) from marts.fct_deals")[0]
    with duckdb.connect(str(working), read_only=True) as con:
        ((after,),) = con.execute("select count(*) from marts.fct_deals").fetchall()
    assert after == before // 3
    assert result.passed is False
    assert result.severity.value == "WARN"
    failures = {f["expectation"]: f for f in result.metadata["failures"].value}
    observed = failures["expect_table_row_count_change_to_be_between()"]["observed"]
    assert observed["previous_rows"] == before
    assert observed["current_rows"] == after
    assert observed["ratio"] == round(after / before, 4)
    assert observed["compared_with"].startswith("previous published run (as of 2026-11-27")
