"""Expectation suites and their runner, on a small hand-made DuckDB warehouse."""

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import dataclasses
import json

import duckdb
import pytest

from expectations import (
    ExpectationTableMissing,
    Suite,
    SuiteError,
    ValidationContext,
    build_gx_expectation,
    load_suite,
    load_suites,
    validate_table,
)
from expectations.strategies import CONTEXT_TYPES, GX_TYPES

BIG_ROWS = 600_000
# What the pipelines pass for the raw suites' freshness checks (the dbt vars' pair).
RUN = ValidationContext(freshness_hours={"warn": 12, "error": 24})

WAREHOUSE_SQL = """
create schema marts;
create schema raw_salesforce;
create schema dirty;
create schema big;

create table marts.fct_deals (
    deal_id varchar, stage varchar, amount decimal(18, 2),
    stage_age_ratio double, hygiene_issue_count integer,
    owner_id varchar, close_owner_id varchar, manager_id varchar
);
insert into marts.fct_deals values
    ('D1', 'Prospecting', 1000.00, 0.5, 0, 'U3', null, 'U2'),
    ('D2', 'Negotiation', 0.00, 2.5, 3, 'U3', null, 'U2'),
    ('D3', 'Closed Won', 25000.50, null, 5, 'U4', 'U4', 'U2'),
    ('D4', 'Qualification', null, 0.0, 1, null, null, null);

create table dirty.fct_deals as select * from marts.fct_deals;
update dirty.fct_deals set amount = -10 where deal_id = 'D2';

create table marts.dim_users (
    user_id varchar, name varchar, manager_id varchar, director_id varchar, depth integer
);
insert into marts.dim_users values
    ('U1', 'Ceo', null, null, 0), ('U2', 'Director', 'U1', 'U2', 1),
    ('U3', 'Rep', 'U2', 'U2', 2), ('U4', 'Former rep', 'U2', 'U2', 2);

create table marts.rep_hygiene (rep_id varchar, open_deals integer, completeness double);
insert into marts.rep_hygiene values ('U3', 4, 0.75), ('U4', 0, 1.0);

create table raw_salesforce.user ("Id" varchar);
insert into raw_salesforce.user values ('005A');
create table raw_salesforce.account ("Id" varchar);
insert into raw_salesforce.account values ('001A');
create table raw_salesforce.opportunity_stage ("Id" varchar, "MasterLabel" varchar);
insert into raw_salesforce.opportunity_stage values ('01JA', 'Prospecting'), ('01JB', 'Closed Won');
create table raw_salesforce.opportunity (
    "Id" varchar, "StageName" varchar, "Amount" double, "Probability" double,
    "ForecastCategoryName" varchar, "CloseDate" varchar, "OwnerId" varchar,
    "AccountId" varchar, _loaded_at timestamptz
);
insert into raw_salesforce.opportunity
select *, '2026-12-01', '005A', '001A', now() from (values
    ('006A', 'Prospecting', 100.0, 10.0, 'Pipeline'),
    ('006B', null, 50.0, 10.0, 'Pipeline'),
    ('006A', 'Prospecting', 100.0, 10.0, 'Pipeline'),
    ('006C', 'Closed Won', -5.0, 100.0, 'Closed')
);

-- Every 7th amount negative, every 11th stage null, every 13th code off-pattern; the
-- first 40,000 rows also carry a bad code, so the first 250k-row chunk alone misses
-- `mostly: 0.85` while the whole table meets it.
create table big.deals as
select
    'D' || i as deal_id,
    case when i % 11 = 0 then null else 'S' || (i % 4) end as stage,
    case when i % 7 = 0 then -1 else i % 1000 end as amount,
    case when i % 13 = 0 or i < 40000 then 'bad' else 'OK-' || (i % 10) end as code
from range(600000) r(i);
insert into big.deals values ('D599999', 'S1', 5, 'OK-1'), ('D42', 'S1', 5, 'OK-1');
create table big.empty_deals as select * from big.deals limit 0;
"""


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    """One warehouse for the module: GX imports once and its context is shared."""
    path = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    connection = duckdb.connect(str(path))
    connection.execute(WAREHOUSE_SQL)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def suites():
    return load_suites()


def big_suite() -> Suite:
    return Suite.from_dict(
        {
            "table": "big.deals",
            "expectations": [
                {
                    "type": "expect_column_values_to_not_be_null",
                    "kwargs": {"column": "stage"},
                    "severity": "warn",
                    "key_column": "deal_id",
                },
                {
                    "type": "expect_column_values_to_be_between",
                    "kwargs": {"column": "amount", "min_value": 0},
                    "severity": "warn",
                    "key_column": "deal_id",
                },
                {
                    "type": "expect_column_values_to_match_regex",
                    "kwargs": {"column": "code", "regex": "^OK-[0-9]$", "mostly": 0.85},
                    "severity": "error",
                },
                {
                    "type": "expect_column_values_to_be_unique",
                    "kwargs": {"column": "deal_id"},
                    "severity": "error",
                },
                {
                    "type": "expect_table_row_count_to_equal",
                    "kwargs": {"value": BIG_ROWS + 2},
                    "severity": "error",
                },
                {
                    "type": "expect_column_max_to_be_between",
                    "kwargs": {"column": "amount", "min_value": 999, "max_value": 999},
                    "severity": "error",
                },
            ],
        }
    )


def outcome(result, label):
    (match,) = [o for o in result.expectations if o.label == label]
    return match


def test_shipped_suites_parse_and_every_gx_type_exists_in_gx(suites):
    for suite in suites.values():
        for spec in suite.expectations:
            if spec.type not in CONTEXT_TYPES:
                assert build_gx_expectation(spec).expectation_type == spec.type

    import great_expectations.exceptions as gx_exceptions
    from great_expectations.expectations.registry import get_expectation_impl

    for expectation_type in GX_TYPES:
        assert get_expectation_impl(expectation_type).expectation_type == expectation_type
    # Trustgap's own types must not shadow a GX expectation of the same name.
    for expectation_type in CONTEXT_TYPES:
        with pytest.raises(gx_exceptions.ExpectationNotFoundError):
            get_expectation_impl(expectation_type)


def deals_suite(table: str = "marts.fct_deals") -> Suite:
    """Keys that block, ranges and references that warn: a team's own suite for deals."""
    keyed = {"key_column": "deal_id"}
    return Suite.from_dict(
        {
            "table": table,
            "expectations": [
                {
                    "type": "expect_column_values_to_not_be_null",
                    "kwargs": {"column": "deal_id"},
                    "severity": "error",
                },
                {
                    "type": "expect_column_values_to_be_unique",
                    "kwargs": {"column": "deal_id"},
                    "severity": "error",
                },
                {
                    "type": "expect_column_values_to_be_between",
                    "kwargs": {"column": "amount", "min_value": 0},
                    "severity": "warn",
                    **keyed,
                },
                {
                    "type": "expect_column_values_to_be_between",
                    "kwargs": {"column": "hygiene_issue_count", "min_value": 0, "max_value": 10},
                    "severity": "error",
                    **keyed,
                },
                {
                    "type": "expect_column_values_to_exist_in_table",
                    "kwargs": {
                        "column": "owner_id",
                        "other_table": "marts.dim_users",
                        "other_column": "user_id",
                    },
                    "severity": "warn",
                    **keyed,
                },
                {
                    "type": "expect_table_row_count_change_to_be_between",
                    "kwargs": {"min_ratio": 0.5, "max_ratio": 2.0},
                    "severity": "warn",
                },
            ],
        }
    )


def test_clean_tables_pass_the_shipped_mart_suites_and_a_full_suite(con, suites):
    for result in [
        *(validate_table(con, suites[t]) for t in ("marts.fct_deals", "marts.dim_users")),
        validate_table(con, deals_suite()),
    ]:
        assert result.success, result.to_metadata()
        assert result.warnings == []
        assert all(o.success for o in result.expectations)


def test_duplicate_key_blocks_and_sample_key_names_it(con, suites):
    result = validate_table(con, suites["raw_salesforce.opportunity"], context=RUN)

    assert not result.success
    (failure,) = result.blocking_failures
    assert failure.label == "expect_column_values_to_be_unique(Id)"
    assert failure.severity == "error"
    assert failure.sample_keys == ["006A"]
    assert failure.observed["unexpected_count"] == 2
    assert failure.observed["duplicate_keys"] == 1


def test_warn_failures_name_offending_rows_by_key_column(con, suites):
    result = validate_table(con, suites["raw_salesforce.opportunity"], context=RUN)

    warnings = {o.label: o for o in result.warnings}
    assert warnings["expect_column_values_to_not_be_null(StageName)"].sample_keys == ["006B"]
    amount = warnings["expect_column_values_to_be_between(Amount)"]
    assert amount.sample_keys == ["006C"]
    assert amount.observed["unexpected_count"] == 1
    assert amount.observed["partial_unexpected_list"] == [-5.0]


def test_warn_only_failure_keeps_success_and_reports_a_warning(con):
    suite = deals_suite("dirty.fct_deals")

    result = validate_table(con, suite)

    assert result.success
    assert result.blocking_failures == []
    (warning,) = result.warnings
    assert warning.label == "expect_column_values_to_be_between(amount)"
    assert warning.severity == "warn"
    assert warning.sample_keys == ["D2"]
    assert warning.observed["partial_unexpected_list"] == [-10.0]
    # The one line `trustgap status` and the check's description show.
    assert result.describe() == (
        f"1 of {len(suite.expectations)} failed: "
        "expect_column_values_to_be_between(amount) [warn] 1 row(s): D2"
    )


def test_chunked_validation_counts_match_single_shot(con):
    suite = big_suite()

    chunked = validate_table(con, suite, chunk_rows=250_000)
    single = validate_table(con, suite, chunk_rows=10_000_000)

    assert (chunked.chunks, single.chunks) == (3, 1)
    assert [(o.label, o.success, o.observed) for o in chunked.expectations] == [
        (o.label, o.success, o.observed) for o in single.expectations
    ]
    assert [o.sample_keys for o in chunked.expectations] == [
        o.sample_keys for o in single.expectations
    ]
    counts = {o.label: o.observed.get("unexpected_count") for o in chunked.expectations}
    off_pattern = sum(1 for i in range(BIG_ROWS) if i % 13 == 0 or i < 40_000)
    assert counts == {
        "expect_column_values_to_not_be_null(stage)": len(range(0, BIG_ROWS, 11)),
        "expect_column_values_to_be_between(amount)": len(range(0, BIG_ROWS, 7)),
        "expect_column_values_to_match_regex(code)": off_pattern,
        "expect_column_values_to_be_unique(deal_id)": 4,
        "expect_table_row_count_to_equal()": None,
        "expect_column_max_to_be_between(amount)": None,
    }
    # `mostly` is judged on the whole table, not per chunk.
    assert outcome(chunked, "expect_column_values_to_match_regex(code)").success
    assert outcome(chunked, "expect_table_row_count_to_equal()").observed == {
        "observed_value": BIG_ROWS + 2
    }
    unique = outcome(chunked, "expect_column_values_to_be_unique(deal_id)")
    assert sorted(unique.sample_keys) == ["D42", "D599999"]
    assert outcome(chunked, "expect_column_values_to_be_between(amount)").sample_keys == [
        "D0",
        "D7",
        "D14",
        "D21",
        "D28",
    ]
    assert [o.label for o in chunked.blocking_failures] == [
        "expect_column_values_to_be_unique(deal_id)"
    ]
    assert con.execute("select count(*) from big.deals").fetchall() == [(BIG_ROWS + 2,)]


def test_a_key_without_duplicates_passes_with_its_missing_values_counted(con):
    # close_owner_id: null, null, 'U4', null; owner_id: 'U3', 'U3', 'U4', null.
    suite = Suite.from_dict(
        {
            "table": "marts.fct_deals",
            "expectations": [
                {
                    "type": "expect_column_values_to_be_unique",
                    "kwargs": {"column": column},
                    "severity": "error",
                    "key_column": "deal_id",
                }
                for column in ("close_owner_id", "owner_id")
            ],
        }
    )

    result = validate_table(con, suite)

    clean = outcome(result, "expect_column_values_to_be_unique(close_owner_id)")
    assert clean.success and clean.sample_keys == []
    assert clean.observed == {
        "element_count": 4,
        "missing_count": 3,
        "unexpected_count": 0,
        "unexpected_percent": 0.0,
        "duplicate_keys": 0,
        "partial_unexpected_list": [],
    }
    repeated = outcome(result, "expect_column_values_to_be_unique(owner_id)")
    assert not repeated.success
    assert repeated.observed["unexpected_count"] == 2
    assert repeated.observed["duplicate_keys"] == 1
    assert (repeated.observed["missing_count"], repeated.sample_keys) == (1, ["D1", "D2"])


def test_missing_table_raises_typed_error(con, suites):
    suite = dataclasses.replace(suites["marts.fct_deals"], table="marts.fct_missing")

    with pytest.raises(ExpectationTableMissing, match=r"marts\.fct_missing"):
        validate_table(con, suite)


def test_missing_column_fails_only_its_expectation(con):
    suite = Suite.from_dict(
        {
            "table": "marts.dim_users",
            "expectations": [
                {
                    "type": "expect_column_values_to_not_be_null",
                    "kwargs": {"column": "email"},
                    "severity": "error",
                },
                {
                    "type": "expect_column_values_to_be_unique",
                    "kwargs": {"column": "user_id"},
                    "severity": "error",
                },
            ],
        }
    )

    result = validate_table(con, suite)

    (failure,) = result.blocking_failures
    assert failure.label == "expect_column_values_to_not_be_null(email)"
    assert "email" in failure.observed["error"]


def test_metadata_is_json_and_names_failures(con, suites):
    metadata = validate_table(con, suites["raw_salesforce.opportunity"], context=RUN).to_metadata()

    assert json.loads(json.dumps(metadata)) == metadata
    assert metadata["blocking_failures"] == 1
    assert metadata["warnings"] == 2
    assert metadata["failed_expectations"][0] == "expect_column_values_to_be_unique(Id) [error]"
    assert metadata["failures"][0]["sample_keys"] == ["006A"]


def test_empty_table_passes_row_checks_and_fails_row_count(con):
    suite = Suite.from_dict(
        {
            "table": "big.empty_deals",
            "expectations": [
                {
                    "type": "expect_column_values_to_not_be_null",
                    "kwargs": {"column": "deal_id"},
                    "severity": "error",
                },
                {
                    "type": "expect_table_row_count_to_be_between",
                    "kwargs": {"min_value": 1},
                    "severity": "warn",
                },
            ],
        }
    )

    result = validate_table(con, suite)

    assert result.success
    assert [o.label for o in result.warnings] == ["expect_table_row_count_to_be_between()"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {
                "type": "expect_column_values_to_be_increasing",
                "kwargs": {"column": "a"},
                "severity": "error",
            },
            "runner can evaluate",
        ),
        ({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}}, "severity"),
        (
            {
                "type": "expect_column_values_to_be_unique",
                "kwargs": {"column": "a", "row_condition": 'b=="x"'},
                "severity": "error",
            },
            "row_condition",
        ),
        (
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "a"},
                "severity": "fatal",
            },
            "severity",
        ),
        (
            {
                "type": "expect_table_row_count_to_be_between",
                "kwargs": {"min_value": 1},
                "severity": "error",
                "key_column": "a",
            },
            "key_column",
        ),
    ],
)
def test_malformed_suite_entries_are_refused(entry, message):
    with pytest.raises(SuiteError, match=message):
        Suite.from_dict({"table": "marts.x", "expectations": [entry]})


def test_suite_file_must_be_named_after_its_table(tmp_path):
    path = tmp_path / "marts.wrong_name.yml"
    path.write_text(
        "table: marts.fct_deals\n"
        "expectations:\n"
        "  - {type: expect_column_values_to_not_be_null, kwargs: {column: a}, severity: error}\n"
    )

    with pytest.raises(SuiteError, match=r"marts\.fct_deals\.yml"):
        load_suite(path)


def test_gx_rejects_bad_kwargs_as_suite_error():
    suite = Suite.from_dict(
        {
            "table": "marts.x",
            "expectations": [
                {
                    "type": "expect_column_values_to_be_between",
                    "kwargs": {"column": "a", "minimum": 0},
                    "severity": "error",
                }
            ],
        }
    )

    with pytest.raises(SuiteError, match="minimum"):
        build_gx_expectation(suite.expectations[0])
