"""K1 freshness has one definition and one threshold pair, the dbt vars.

`trustgap status` and the great-expectations freshness checks both take the thresholds
from dbt_project.yml and each raw table's last landing from pipelines.freshness.
"""

import datetime as dt
import shutil
from zoneinfo import ZoneInfo

import duckdb
import pytest
import yaml

from expectations import Suite
from pipelines import freshness
from pipelines.project import DBT_PROJECT_DIR
from pipelines.resources import RunParams, Warehouse

LOADED = dt.datetime(2026, 11, 27, 6, 0, tzinfo=dt.UTC)

WAREHOUSE_SQL = """
create schema raw_crm;
create schema sync_state;
create table sync_state.table_syncs (
    schema_name varchar, table_name varchar, synced_at timestamptz not null
);
-- Rows landed 20 h before the latest load; an incremental sync 2 h ago found nothing new.
create table raw_crm.deals (id varchar, _loaded_at timestamptz);
insert into raw_crm.deals values ('A', timestamptz '2026-11-26 10:00:00+00');
insert into sync_state.table_syncs values
    ('raw_crm', 'deals', timestamptz '2026-11-27 04:00:00+00'),
    ('raw_crm', 'deals', timestamptz '2026-11-26 10:00:00+00');
-- Last landed 3 h before the latest load, never synced incrementally.
create table raw_crm.accounts (id varchar, _loaded_at timestamp);
insert into raw_crm.accounts values ('X', timestamp '2026-11-27 03:00:00');
-- The latest load of the run.
create table raw_crm.owners (id varchar, _loaded_at timestamptz);
insert into raw_crm.owners values ('O', timestamptz '2026-11-27 06:00:00+00');
-- Empty: no age, even with a sync recorded.
create table raw_crm.calls (id varchar, _loaded_at timestamptz);
insert into sync_state.table_syncs values
    ('raw_crm', 'calls', timestamptz '2026-11-27 07:00:00+00');
"""


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = tmp_path_factory.mktemp("freshness") / "warehouse.duckdb"
    connection = duckdb.connect(str(path))
    connection.execute(WAREHOUSE_SQL)
    yield connection
    connection.close()


@pytest.fixture
def strict_vars(tmp_path, monkeypatch):
    """A copy of the dbt project whose freshness vars are 2 h (warn) and 5 h (error)."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    project["vars"] |= {"freshness_warn_hours": 2, "freshness_error_hours": 5}
    (tmp_path / "dbt_project.yml").write_text(yaml.safe_dump(project))
    monkeypatch.setattr(freshness, "DBT_PROJECT_DIR", tmp_path)


def test_the_thresholds_are_the_dbt_vars():
    assert freshness.thresholds() == freshness.Thresholds(warn_hours=12, error_hours=24)


def test_a_table_was_last_landed_at_its_newest_row_or_latest_sync_and_empty_has_no_age(con):
    assert freshness.raw_table_landings(con) == {
        "raw_crm.accounts": dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC),
        "raw_crm.deals": dt.datetime(2026, 11, 27, 4, 0, tzinfo=dt.UTC),
        "raw_crm.owners": LOADED,
    }
    assert freshness.raw_table_landings(con, ["raw_crm.deals"]) == {
        "raw_crm.deals": dt.datetime(2026, 11, 27, 4, 0, tzinfo=dt.UTC)
    }


def test_reference_is_the_latest_raw_load_but_never_before_as_of_midnight(con):
    landings = freshness.raw_table_landings(con)
    utc = ZoneInfo("UTC")

    same_day = freshness.reference_moment(landings, as_of=dt.date(2026, 11, 27), zone=utc)
    later_day = freshness.reference_moment(landings, as_of=dt.date(2026, 11, 29), zone=utc)
    paris = freshness.reference_moment(
        landings, as_of=dt.date(2026, 11, 29), zone=ZoneInfo("Europe/Paris")
    )

    assert same_day == LOADED
    assert later_day == dt.datetime(2026, 11, 29, tzinfo=utc)
    assert paris == dt.datetime(2026, 11, 28, 23, 0, tzinfo=dt.UTC)


def test_status_lines_keep_their_format():
    ages = [("raw_salesforce.account", 1.25), ("raw_salesforce.task", 13.0)]

    assert freshness.status_lines([*ages, ("raw_salesforce.user", 30.04)]) == [
        "Source freshness (hours since landed; warn 12 h, error 24 h):",
        "  raw_salesforce.account                         1.2 h  ok",
        "  raw_salesforce.task                           13.0 h  warn",
        "  raw_salesforce.user                           30.0 h  ERROR",
    ]


def test_changing_the_dbt_var_changes_the_check_and_the_status_alike(
    con, tmp_path, strict_vars, tiny_nightly, capsys
):
    from pipelines.cli import main as trustgap
    from pipelines.defs.quality_checks import check_suites

    # The check on raw_crm.accounts, 3 h old: fresh under 12 h, stale under 2 h.
    published = tmp_path / "warehouse" / "trustgap.duckdb"
    working = Warehouse(path=str(published)).working
    working.parent.mkdir()
    con.execute(f"attach '{working}' as working")
    con.execute("copy from database warehouse to working")
    con.execute("detach working")
    suite = Suite.from_dict(
        {
            "table": "raw_crm.accounts",
            "expectations": [
                {
                    "type": "expect_column_max_to_be_recent",
                    "kwargs": {"column": "_loaded_at"},
                    "severity": "warn",
                }
            ],
        }
    )
    (result,) = check_suites([suite], Warehouse(path=str(published)), RunParams(as_of="2026-11-27"))

    assert (result.passed, result.severity.value) == (False, "WARN")
    (failure,) = result.metadata["failures"].value
    assert failure["observed"]["max_age_hours"] == 2
    assert failure["observed"]["age_hours"] == 3.0

    # `trustgap status` on the tiny demo: its tables just landed, 2 h is the warn line.
    demo = tmp_path / "demo.duckdb"
    shutil.copyfile(tiny_nightly.published, demo)
    capsys.readouterr()
    trustgap(["status", "--warehouse", str(demo)])
    out = capsys.readouterr().out
    assert "Source freshness (hours since landed; warn 2 h, error 5 h):" in out
    # The published file has no raw tables: their landings were recorded at publish.
    assert "\n  raw_salesforce.opportunity " in out
    assert "History: 1 as-of date(s), 2026-11-27 to 2026-11-27" in out
    # The same ages as with the shipped vars, judged against the new pair.
    for line in out.split("error 5 h):\n")[1].splitlines():
        if not line.startswith("  raw_"):
            break
        hours = float(line.split()[1])
        assert line.endswith(freshness.Thresholds(2, 5).level(hours)), line
