"""History: each publish records its as-of date's snapshot; backfills add past dates.

The published warehouse keeps one set of rows per as-of date in `history.*`:
re-publishing a date replaces it, another date adds to it, and a backfill computes
past dates from the raw tables already landed, equal to what a nightly run on that
date publishes.
"""

import datetime as dt
import os
import shutil
from unittest import mock

import dagster as dg
import duckdb
import pytest

from pipelines import warehouse as wh
from pipelines.backfill import backfill_dates
from tests.conftest import DEMO_AS_OF

HISTORY_TABLES = (
    "director_trends",
    "kpi_values",
    "pipeline_reconciliation",
    "rep_hygiene",
    "team_scorecard",
)
WEEK_BEFORE = "2026-11-20"
# Hours from a raw table's last load to the run's: two runs load at different moments.
LOAD_TIMING = ("source_freshness_hours",)


def rows(path, sql, params=None):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def history_rows(path, table, as_of):
    with duckdb.connect(str(path), read_only=True) as con:
        columns = [
            name
            for (name,) in con.execute(
                "select column_name from duckdb_columns() where schema_name = 'history' "
                "and table_name = ? order by column_index",
                [table],
            ).fetchall()
            if name not in LOAD_TIMING
        ]
        listed = ", ".join(f'"{c}"' for c in columns)
        return con.execute(
            f"select {listed} from history.{table} where as_of = ? order by all", [as_of]
        ).fetchall()


@pytest.fixture(scope="module")
def copied(tiny_nightly, tmp_path_factory):
    """The tiny nightly run's published and working files, copied to be changed."""
    folder = tmp_path_factory.mktemp("history")
    published = folder / "trustgap.duckdb"
    shutil.copyfile(tiny_nightly.published, published)
    shutil.copyfile(wh.working_path(tiny_nightly.published), wh.working_path(published))
    return published


def test_a_nightly_publish_records_its_date_in_every_history_table(tiny_nightly):
    for table in HISTORY_TABLES:
        assert rows(tiny_nightly.published, f"select distinct as_of from history.{table}") == [
            (dt.date.fromisoformat(DEMO_AS_OF),)
        ], table
    counts = dict(
        rows(
            tiny_nightly.published,
            """
            select 'rep_hygiene', count(*) from marts.rep_hygiene
            union all select 'team_scorecard', count(*) from marts.team_scorecard
                where is_current_quarter
            union all select 'kpi_values', count(*) from marts.kpi_catalog
            union all select 'pipeline_reconciliation', count(*)
                from marts.pipeline_reconciliation
            union all select 'director_trends', count(*) from marts.team_scorecard
                where is_current_quarter and team_leader_level in ('director', 'organisation')
            """,
        )
    )
    for table, expected in counts.items():
        assert expected > 0
        assert rows(tiny_nightly.published, f"select count(*) from history.{table}") == [
            (expected,)
        ], table


def test_director_trends_roll_up_each_directors_org_and_the_organisation(tiny_nightly):
    trends = rows(
        tiny_nightly.published,
        "select director_id, director_name, open_deals, stale_deals, stale_share, open_value "
        "from history.director_trends order by director_id",
    )
    scorecard = rows(
        tiny_nightly.published,
        "select team_leader_id, team_leader_name, open_deals, stale_deals "
        "from marts.team_scorecard where is_current_quarter "
        "and team_leader_level in ('director', 'organisation') order by team_leader_id",
    )
    assert [row[:4] for row in trends] == scorecard
    for _, name, open_deals, stale, share, open_value in trends:
        assert name
        assert share == pytest.approx(stale / open_deals) if open_deals else share is None
        assert (open_value > 0) == (open_deals > 0)


def test_the_published_file_holds_what_readers_need_and_no_raw_crm_copy(tiny_nightly):
    schemas = {
        schema
        for (schema,) in rows(
            tiny_nightly.published,
            "select distinct schema_name from duckdb_tables() union "
            "select distinct schema_name from duckdb_views() where not internal",
        )
    }
    assert schemas == {"marts", "history", "quarantine", "trustgap_meta"}
    working_schemas = {
        schema
        for (schema,) in rows(
            wh.working_path(tiny_nightly.published),
            "select distinct schema_name from duckdb_tables()",
        )
    }
    assert {"raw_salesforce", "raw_hubspot", "sync_state"} <= working_schemas
    # Every mart has the same rows in both files.
    for (table,) in rows(
        tiny_nightly.published,
        "select table_name from duckdb_tables() where schema_name = 'marts'",
    ):
        count = f"select count(*) from marts.{table}"
        assert rows(tiny_nightly.published, count) == rows(
            wh.working_path(tiny_nightly.published), count
        ), table


def test_every_history_column_has_a_comment(tiny_nightly):
    missing = rows(
        tiny_nightly.published,
        "select table_name || '.' || column_name from duckdb_columns() "
        "where schema_name = 'history' and coalesce(comment, '') = '' order by 1",
    )
    assert missing == []
    tables = rows(
        tiny_nightly.published,
        "select table_name from duckdb_tables() where schema_name = 'history' "
        "and coalesce(comment, '') = ''",
    )
    assert tables == []


def test_publishing_the_same_date_again_keeps_one_set_of_rows(copied):
    before = {t: rows(copied, f"select count(*) from history.{t}") for t in HISTORY_TABLES}
    wh.publish(
        wh.working_path(copied),
        copied,
        run_id="again",
        as_of=dt.date.fromisoformat(DEMO_AS_OF),
        source="demo",
    )
    for table in HISTORY_TABLES:
        assert rows(copied, f"select count(*) from history.{table}") == before[table]
        assert rows(copied, f"select count(distinct as_of) from history.{table}") == [(1,)]


@pytest.fixture(scope="module")
def backfilled(copied, tmp_path_factory):
    """The copy with the week before backfilled the way `trustgap backfill` does it."""
    from demo.definitions import defs
    from pipelines import launch
    from pipelines.backfill import run_backfill

    marts_before = rows(copied, "select * from marts.rep_hygiene order by rep_id")
    home = tmp_path_factory.mktemp("dagster_home")
    with mock.patch.dict(os.environ, {"DAGSTER_HOME": str(home)}):
        code = run_backfill(
            defs(),
            [dt.date.fromisoformat(WEEK_BEFORE)],
            warehouse_path=str(copied),
            contiguous=False,
            location=launch.DEMO,
        )
        assert code == 0
        with dg.DagsterInstance.get() as instance:
            # How the UI's job page finds its runs: job name and the location's tag.
            located = dg.RunsFilter(
                job_name="history_backfill", tags={".dagster/repository": launch.DEMO.label()}
            )
            runs = instance.get_runs(filters=located)
    return copied, marts_before, runs


def test_a_backfill_run_is_listed_under_its_code_location_with_its_partition(backfilled):
    *_, runs = backfilled
    assert len(runs) == 1
    (run,) = runs
    assert run.job_name == "history_backfill"
    assert run.tags["dagster/partition"] == WEEK_BEFORE
    assert run.remote_job_origin.location_name == "trustgap"


def test_a_backfill_adds_its_date_and_leaves_the_marts_as_published(backfilled):
    published, marts_before, _ = backfilled
    for table in HISTORY_TABLES:
        dates = rows(published, f"select distinct as_of from history.{table} order by 1")
        assert [d.isoformat() for (d,) in dates] == [WEEK_BEFORE, DEMO_AS_OF], table
    assert rows(published, "select * from marts.rep_hygiene order by rep_id") == marts_before
    assert rows(published, "select max(as_of) from trustgap_meta.runs") == [
        (dt.date.fromisoformat(DEMO_AS_OF),)
    ]
    # Nothing half-done is left in the working file.
    assert rows(
        wh.working_path(published),
        "select count(*) from duckdb_tables() where schema_name = 'history_pending'",
    ) == [(0,)]


def test_a_backfilled_date_equals_what_a_nightly_run_on_that_date_publishes(
    backfilled, tiny_nightly, tmp_path_factory
):
    """The nightly job as of the week before, on the same CRM data (its raw tables as
    landed: the demo org is generated anew for each as-of date, a real CRM is not)."""
    from demo.definitions import defs

    published, *_ = backfilled
    folder = tmp_path_factory.mktemp("nightly_week_before")
    nightly = folder / "trustgap.duckdb"
    shutil.copyfile(tiny_nightly.published, nightly)
    shutil.copyfile(wh.working_path(tiny_nightly.published), wh.working_path(nightly))
    job = defs().resolve_job_def("nightly")
    after_landing = [
        key
        for key in job.asset_layer.executable_asset_keys
        if key.path[0] not in ("raw_salesforce", "raw_hubspot")
    ]
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            asset_selection=after_landing,
            run_config={
                "resources": {
                    "run_params": {"config": {"as_of": WEEK_BEFORE}},
                    "warehouse": {"config": {"path": str(nightly)}},
                }
            },
            instance=instance,
        )
    assert result.success
    for table in HISTORY_TABLES:
        expected = history_rows(nightly, table, WEEK_BEFORE)
        assert expected, table
        assert history_rows(published, table, WEEK_BEFORE) == expected, table


def test_backfill_dates_step_a_day_or_a_week_and_include_the_first():
    start, end = dt.date(2026, 8, 28), dt.date(2026, 11, 27)
    weekly = backfill_dates(start, end, "week")
    assert len(weekly) == 14
    assert (weekly[0], weekly[1], weekly[-1]) == (start, dt.date(2026, 9, 4), end)
    assert len(backfill_dates(start, end, "day")) == 92


def test_backfill_refuses_a_range_that_ends_before_it_starts():
    with pytest.raises(Exception, match="before --from"):
        backfill_dates(dt.date(2026, 11, 27), dt.date(2026, 11, 1), "day")


def test_history_dates_are_dagster_daily_partitions_and_the_nightly_marks_its_own(tiny_nightly):
    from demo.definitions import defs
    from pipelines.defs.history import HISTORY_KEY

    job = defs().resolve_job_def("history_backfill")
    assert isinstance(job.partitions_def, dg.DailyPartitionsDefinition)
    assert DEMO_AS_OF in job.partitions_def.get_partition_keys()
    assert HISTORY_KEY not in defs().resolve_job_def("nightly").asset_layer.executable_asset_keys
    marked = [
        event.event_specific_data.materialization.partition
        for event in tiny_nightly.result.get_asset_materialization_events()
        if event.event_specific_data.materialization.asset_key == HISTORY_KEY
    ]
    assert marked == [DEMO_AS_OF]


def test_a_date_published_again_replaces_its_rows_and_keeps_old_columns(tmp_path):
    """Even a table with no new row for the date (no directors any more) drops the
    date's old rows; a column the mart gained reads null on older dates, and one it
    lost keeps its old values."""
    from pipelines import history

    con = duckdb.connect(str(tmp_path / "new.duckdb"))
    con.execute(f"attach '{tmp_path / 'previous.duckdb'}' as previous")
    con.execute(f"attach '{tmp_path / 'run.duckdb'}' as run")
    con.execute(
        """
        create schema previous.history;
        create table previous.history.directors as select * from (values
            (date '2026-11-20', 'Ann', 3), (date '2026-11-27', 'Ann', 4)
        ) as v(as_of, director_name, dropped);
        create table previous.history.reps as select * from (values
            (date '2026-11-20', 'Bo'), (date '2026-11-27', 'Bo')
        ) as v(as_of, rep_name);
        create schema run.history_run;
        create table run.history_run.directors (as_of date, director_name varchar);
        create table run.history_run.reps as select * from (values
            (date '2026-11-27', 'Bo', 7)
        ) as v(as_of, rep_name, gained);
        """
    )
    counts = history.merge(
        con,
        new_catalog="run",
        new_schema="history_run",
        previous_catalog="previous",
        dates=[dt.date(2026, 11, 27)],
    )
    assert counts == {"directors": 1, "reps": 2}
    assert con.execute("select * from history.directors").fetchall() == [
        (dt.date(2026, 11, 20), "Ann", 3)
    ]
    assert con.execute("select * from history.reps order by as_of").fetchall() == [
        (dt.date(2026, 11, 20), "Bo", None),
        (dt.date(2026, 11, 27), "Bo", 7),
    ]
    con.close()
