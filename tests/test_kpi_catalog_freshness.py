"""K1 in the published warehouse is computed when read: marts.kpi_catalog is a view
that ages each metric's last load with the clock and carries the publish time.

The tests read copies of the shared tiny run's published file. "Days later" is
simulated by moving the recorded load and publish times back, which is what the
clock moving forward looks like to the view.
"""

import re
import shutil

import duckdb
import pytest

from pipelines.freshness import thresholds
from pipelines.project import DBT_PROJECT_DIR
from pipelines.warehouse import RUN_LOG_DDL

# Kept by a published warehouse (raw, staging and intermediate stay in the working file).
PUBLISHED_SCHEMAS = ("marts", "trustgap_meta")


@pytest.fixture
def published_copy(tiny_nightly, tmp_path):
    """A writable copy of the shared run's published warehouse."""
    copy = tmp_path / "published.duckdb"
    shutil.copyfile(tiny_nightly.published, copy)
    con = duckdb.connect(str(copy))
    yield con
    con.close()


def _runs_ddl(text: str) -> str:
    (ddl,) = re.findall(r"create table if not exists trustgap_meta\.runs \(.*?\);", text, re.S)
    return " ".join(ddl.split())


def test_the_dbt_hook_creates_the_run_log_publish_writes():
    """macros/run_log.sql (on-run-start) and RUN_LOG_DDL create the same runs table."""
    macro = (DBT_PROJECT_DIR / "macros" / "run_log.sql").read_text(encoding="utf-8")
    assert _runs_ddl(macro) == _runs_ddl(RUN_LOG_DDL)
    project = (DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8")
    assert "{{ create_run_log() }}" in project


def test_published_at_is_the_latest_publish_in_the_run_log(tiny_nightly, published_copy):
    ((published_at, runs),) = published_copy.execute(
        "select max(published_at), count(*) from trustgap_meta.runs"
    ).fetchall()
    assert runs == 1 and published_at is not None
    assert published_copy.execute(
        "select distinct published_at from marts.kpi_catalog"
    ).fetchall() == [(published_at,)]

    published_copy.execute(
        "insert into trustgap_meta.runs values "
        "('later', date '2026-11-28', 'demo', timestamptz '2030-01-02 03:04:05+00')"
    )
    assert published_copy.execute(
        "select distinct published_at::varchar from marts.kpi_catalog"
    ).fetchall() == [("2030-01-02 03:04:05+00",)]


def test_published_catalog_freshness_grows_after_the_publish(published_copy):
    """Read three days after the publish, every metric is 72 h staler and fails K1,
    while the columns frozen at the run still show the run's freshness."""
    before = dict(
        published_copy.execute(
            "select metric_id, source_freshness_hours from marts.kpi_catalog"
        ).fetchall()
    )
    published_copy.execute(
        "update marts.kpi_catalog_as_of "
        "set source_last_loaded_at = source_last_loaded_at - interval 3 days"
    )
    published_copy.execute(
        "update trustgap_meta.runs set published_at = published_at - interval 3 days"
    )
    after = {
        metric_id: rest
        for metric_id, *rest in published_copy.execute(
            "select metric_id, source_freshness_hours, freshness_status, is_fresh, "
            "source_freshness_hours_at_as_of, is_fresh_at_as_of from marts.kpi_catalog"
        ).fetchall()
    }
    (metrics,) = published_copy.execute("select count(*) from marts.kpi_catalog_as_of").fetchone()
    assert sorted(after) == sorted(before) and len(after) == metrics > 30
    for metric_id, (hours, status, fresh, hours_at_as_of, fresh_at_as_of) in after.items():
        assert 72.0 <= hours - before[metric_id] < 72.1, metric_id
        assert (status, fresh) == ("error", False), metric_id
        assert (hours_at_as_of, fresh_at_as_of) == (0.0, True), metric_id


def test_read_time_freshness_is_hours_since_the_last_load_against_the_dbt_var_thresholds(
    published_copy,
):
    """Whatever the session's time zone; an all-empty metric is 'empty' and fresh."""
    limits = thresholds()
    published_copy.execute("set TimeZone = 'America/Los_Angeles'")
    ages = {
        "H1": limits.warn_hours - 0.5,
        "H2": limits.warn_hours + 0.5,
        "H3": limits.error_hours + 0.5,
    }
    for metric_id, hours in ages.items():
        published_copy.execute(
            "update marts.kpi_catalog_as_of "
            "set source_last_loaded_at = now() - to_microseconds(cast(? * 3600e6 as bigint)) "
            "where metric_id = ?",
            [hours, metric_id],
        )
    published_copy.execute(
        "update marts.kpi_catalog_as_of set source_last_loaded_at = null where metric_id = 'H4'"
    )
    rows = {
        metric_id: (round(hours, 2) if hours is not None else None, status, fresh)
        for metric_id, hours, status, fresh in published_copy.execute(
            "select metric_id, source_freshness_hours, freshness_status, is_fresh "
            "from marts.kpi_catalog where metric_id in ('H1', 'H2', 'H3', 'H4')"
        ).fetchall()
    }
    assert rows == {
        "H1": (ages["H1"], "pass", True),
        "H2": (ages["H2"], "warn", False),
        "H3": (ages["H3"], "error", False),
        "H4": (None, "empty", True),
    }


def test_the_catalog_view_reads_only_what_a_published_warehouse_keeps(tiny_nightly, tmp_path):
    """Rebuilt from its SQL in a file holding only marts.kpi_catalog_as_of and
    trustgap_meta.runs, the view reads the same rows."""
    bare = duckdb.connect(str(tmp_path / "bare.duckdb"))
    try:
        bare.execute(f"attach '{tiny_nightly.published}' as published (read_only)")
        for schema in PUBLISHED_SCHEMAS:
            bare.execute(f"create schema {schema}")
        for table in ("marts.kpi_catalog_as_of", "trustgap_meta.runs"):
            bare.execute(f"create table {table} as select * from published.{table}")
        ((metrics,),) = bare.execute("select count(*) from marts.kpi_catalog_as_of").fetchall()
        ((view_sql,),) = bare.execute(
            "select sql from duckdb_views() "
            "where database_name = 'published' and schema_name = 'marts' "
            "and view_name = 'kpi_catalog'"
        ).fetchall()
        bare.execute("detach published")
        bare.execute(view_sql)
        ((rows, published_at),) = bare.execute(
            "select count(*), any_value(published_at) from marts.kpi_catalog "
            "where source_freshness_hours > 0 and freshness_status = 'pass'"
        ).fetchall()
    finally:
        bare.close()
    assert rows == metrics > 30
    assert (
        published_at == tiny_nightly.query("select max(published_at) from trustgap_meta.runs")[0][0]
    )
