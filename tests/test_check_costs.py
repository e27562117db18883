"""The checks pay no fixed cost that is not work (#17), and keep every verdict.

- A run validates its own CRM's raw tables, not the other CRM's, which it emptied:
  their suites say so ("not validated": another CRM's raw table) instead of validating
  empty tables. A planted bad row is still caught in each CRM's raw tables, on its own
  CRM's run, and in the other CRM's tables whenever they hold rows.
- The single figures of the suites checked together (row-count ratios, freshness ages,
  bounds on aggregates) are judged by great-expectations in one validation.
- great-expectations is imported without PySpark (the Spark engine runs in processes
  of its own), and without scipy.stats until an expectation computes with it.
"""

import datetime as dt
import subprocess
import sys
import textwrap

import duckdb
import pytest

from connectors.hubspot.objects import TABLES
from connectors.landing import land_batches
from connectors.salesforce.objects import OBJECTS
from expectations import Suite, ValidationContext, load_suites, read_table, validate_tables
from expectations.gx_engine import validation_count
from pipelines.defs.quality_checks import check_suites
from pipelines.resources import RunParams, Warehouse

LOADED_AT = dt.datetime(2026, 11, 27, 6, tzinfo=dt.UTC)
SUITES = load_suites()
USER, OWNERS = SUITES["raw_salesforce.user"], SUITES["raw_hubspot.owners"]


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    """A working file holding every raw table of both CRMs, empty, as a run lands them."""
    warehouse = Warehouse(path=str(tmp_path / "trustgap.duckdb"))
    with duckdb.connect(str(warehouse.working)) as con:
        for obj in OBJECTS:
            land_batches(
                con, "raw_salesforce", obj.table, obj.arrow_schema, [], loaded_at=LOADED_AT
            )
        for table in TABLES:
            land_batches(
                con, "raw_hubspot", table.name, table.arrow_schema, [], loaded_at=LOADED_AT
            )
    return warehouse


def plant(warehouse: Warehouse, table: str, values: dict) -> None:
    """One row in `table` with `values` (other columns null): a bad row if a key is null."""
    columns = ", ".join(f'"{c}"' for c in values)
    marks = ", ".join("?" for _ in values)
    with duckdb.connect(str(warehouse.working)) as con:
        con.execute(f"insert into {table} ({columns}) values ({marks})", list(values.values()))


def check(warehouse: Warehouse, platform: str) -> dict:
    results = check_suites(
        [USER, OWNERS], warehouse, RunParams(as_of="2026-11-27"), platform=platform
    )
    return {r.asset_key.to_user_string(): r for r in results}


@pytest.mark.parametrize(
    ("platform", "own", "own_bad_row", "other"),
    [
        ("salesforce", "raw_salesforce/user", {"Id": None, "Name": "No id"}, "raw_hubspot/owners"),
        ("hubspot", "raw_hubspot/owners", {"id": None, "type": "PERSON"}, "raw_salesforce/user"),
    ],
)
def test_a_run_reports_the_other_crms_suites_as_not_this_runs_crm(
    warehouse, platform, own, own_bad_row, other
):
    plant(warehouse, own.replace("/", "."), own_bad_row)

    results = check(warehouse, platform)

    skipped = results[other]
    assert skipped.passed is True
    assert skipped.metadata["not_validated"].value == (
        f"Not validated: this run reads {platform}, and {other.replace('/', '.')} is another "
        "CRM's raw table, which the run emptied (0 rows)."
    )
    assert skipped.metadata["expectations_evaluated"].value == 0
    assert skipped.description.startswith("Not validated: this run reads " + platform)
    # The run's own CRM is validated: its planted row without a key blocks.
    caught = results[own]
    assert caught.passed is False
    assert caught.severity.value == "ERROR"
    assert "not_validated" not in caught.metadata
    assert caught.metadata["blocking_failures"].value == 1
    assert caught.metadata["rows"].value == 1


def test_the_other_crms_table_is_validated_when_it_holds_rows(warehouse):
    """Rows in the other CRM's table (a run that did not empty it) are checked as ever."""
    plant(warehouse, "raw_hubspot.owners", {"id": None, "type": "ROBOT"})

    owners = check(warehouse, "salesforce")["raw_hubspot/owners"]

    assert owners.passed is False
    assert "not_validated" not in owners.metadata
    assert owners.metadata["blocking_failures"].value == 1
    assert owners.metadata["warnings"].value == 1  # type ROBOT is not PERSON or QUEUE


def test_without_the_runs_crm_every_suite_is_validated(warehouse):
    results = check_suites([USER, OWNERS], warehouse, RunParams(as_of="2026-11-27"))

    for result in results:
        assert "not_validated" not in result.metadata
        assert result.metadata["expectations_evaluated"].value == len(
            SUITES[result.asset_key.to_user_string().replace("/", ".")].expectations
        )


def test_the_nightly_says_why_it_did_not_validate_the_other_crms_tables(tiny_nightly):
    evaluations = {
        e.asset_key.to_user_string(): e
        for e in tiny_nightly.result.get_asset_check_evaluations()
        if e.check_name.startswith("gx_")
    }
    hubspot = {k: e for k, e in evaluations.items() if k.startswith("raw_hubspot/")}
    salesforce = {k: e for k, e in evaluations.items() if k.startswith("raw_salesforce/")}

    assert len(hubspot) == len(TABLES) and len(salesforce) == len(OBJECTS)
    for key, evaluation in hubspot.items():
        assert evaluation.passed, key
        assert "this run reads salesforce" in evaluation.metadata["not_validated"].value
    for key, evaluation in salesforce.items():
        assert "not_validated" not in evaluation.metadata, key
        assert evaluation.metadata["expectations_evaluated"].value > 0


# -- single figures judged together ------------------------------------------------------


def figures_suite(table: str, max_rows: int) -> Suite:
    """Freshness within 12 h and at most `max_rows` rows: two single figures for GX."""
    return Suite.from_dict(
        {
            "table": table,
            "expectations": [
                {
                    "type": "expect_column_max_to_be_recent",
                    "kwargs": {"column": "_loaded_at", "max_age_hours": 12},
                    "severity": "warn",
                },
                {
                    "type": "expect_table_row_count_to_be_between",
                    "kwargs": {"max_value": max_rows},
                    "severity": "error",
                },
            ],
        }
    )


def test_the_single_figures_of_several_suites_are_judged_in_one_validation():
    con = duckdb.connect()
    con.execute("create schema raw_crm")
    for name, hours_ago, rows in (("fresh", 3, 2), ("stale", 30, 5)):
        con.execute(
            f"create table raw_crm.{name} as select timestamptz '2026-11-27 09:00:00+00' "
            f"- interval {hours_ago} hour as _loaded_at from range({rows})"
        )
    context = ValidationContext(reference_at=dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC))
    reads = [
        read_table(con, figures_suite("raw_crm.fresh", 4), context=context),
        read_table(con, figures_suite("raw_crm.stale", 4), context=context),
    ]

    before = validation_count()
    fresh, stale = validate_tables(reads)

    assert validation_count() - before == 1  # four figures, one GX validation
    assert fresh.success and not fresh.warnings
    assert [o.observed["age_hours"] for o in fresh.expectations if "age_hours" in o.observed] == [
        3.0
    ]
    # Each figure gets its own verdict back: the stale table's two fail, and only they.
    assert not stale.success
    (too_many,) = stale.blocking_failures
    assert too_many.observed == {"observed_value": 5}
    (old,) = stale.warnings
    assert old.observed["age_hours"] == 30.0


def test_a_figure_judged_in_a_batch_gets_the_verdict_it_gets_alone():
    con = duckdb.connect()
    con.execute("create schema raw_crm")
    con.execute(
        "create table raw_crm.deals as select timestamptz '2026-11-26 20:00:00+00' "
        "as _loaded_at from range(3)"
    )
    context = ValidationContext(reference_at=dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC))
    suite = figures_suite("raw_crm.deals", 2)

    (alone,) = validate_tables([read_table(con, suite, context=context)])
    together = validate_tables([read_table(con, suite, context=context) for _ in range(3)])

    assert all(r.expectations == alone.expectations for r in together)
    assert [o.success for o in alone.expectations] == [False, False]


# -- great-expectations without PySpark ----------------------------------------------------


def test_great_expectations_is_imported_without_pyspark_which_stays_importable():
    """In a fresh process, as each nightly run is: a validation, then Spark's own import."""
    script = textwrap.dedent(
        """
        import sys
        import pandas as pd
        from expectations import ExpectationSpec
        from expectations.gx_engine import gx_validate, tagged, warm_up

        warm_up().join()
        spec = ExpectationSpec("expect_column_values_to_not_be_null", {"column": "a"}, "error")
        (result,) = gx_validate(pd.DataFrame({"a": [1, None]}), [tagged(spec, 0)])
        print(result.success, result.result["unexpected_count"], "pyspark" in sys.modules)
        import pyspark.sql
        print(pyspark.sql.SparkSession.__name__)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True
    )

    assert done.stdout.split("\n")[:2] == ["False 1 False", "SparkSession"], done.stderr


def test_scipy_stats_is_imported_only_by_an_expectation_that_uses_it():
    """In a fresh process: a null check leaves scipy.stats unimported; GX's KL divergence,
    which computes with it, imports it then and judges as it would have; afterwards the
    process imports scipy.stats as usual."""
    script = textwrap.dedent(
        """
        import sys
        import pandas as pd
        from expectations import ExpectationSpec
        from expectations.gx_engine import gx_validate, tagged

        spec = ExpectationSpec("expect_column_values_to_not_be_null", {"column": "a"}, "error")
        (result,) = gx_validate(pd.DataFrame({"a": [1, None]}), [tagged(spec, 0)])
        print(result.success, "scipy.stats" in sys.modules)
        partition = {"values": ["a", "b"], "weights": [0.5, 0.5]}
        kl = ExpectationSpec(
            "expect_column_kl_divergence_to_be_less_than",
            {"column": "c", "partition_object": partition, "threshold": 0.1},
            "warn",
        )
        frame = pd.DataFrame({"c": ["a"] * 9 + ["b"]})
        (result,) = gx_validate(frame, [tagged(kl, 0)])
        print(result.success, round(result.result["observed_value"], 4))
        import scipy.stats
        entropy = scipy.stats.entropy([0.9, 0.1], [0.5, 0.5])
        print(type(sys.modules["scipy.stats"]).__name__, round(entropy, 4))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True
    )

    # KL((0.9, 0.1) || (0.5, 0.5)) = 0.9 ln 1.8 + 0.1 ln 0.2 = 0.3681 nats: over 0.1.
    assert done.stdout.split("\n")[:3] == [
        "False False",
        "False 0.3681",
        "module 0.3681",
    ], done.stderr


def test_the_quarantine_tables_are_checked_in_one_step_each_table_its_own_check(tiny_nightly):
    events = tiny_nightly.result.all_events
    steps = {e.step_key for e in events if e.event_type_value == "STEP_START"}
    evaluations = {
        e.check_name: e
        for e in tiny_nightly.result.get_asset_check_evaluations()
        if e.check_name.startswith("quarantined_")
    }

    assert {s for s in steps if "quarantine" in s} == {"quarantine_checks"}
    assert set(evaluations) == {"quarantined_activities", "quarantined_deals", "quarantined_users"}
    for name, evaluation in evaluations.items():
        assert evaluation.asset_key.path == ["quarantine", name.removeprefix("quarantined_")]
        assert evaluation.metadata["query"].value.startswith("select * from quarantine.")
