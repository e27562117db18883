"""End to end: the real Dagster nightly job on the tiny demo org.

The fake Salesforce API serves the generated org, the real connector lands it,
dbt builds the marts, the checks run and the warehouse is published.
"""

import json

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import defs

AS_OF = "2026-11-27"


@pytest.fixture(scope="module")
def nightly_run(tmp_path_factory):
    """One nightly run on the tiny demo org; yields (result, published path, truth)."""
    tmp = tmp_path_factory.mktemp("nightly")
    published = tmp / "warehouse" / "trustgap.duckdb"
    truth_path = tmp / "truth.json"
    run_config = {
        "resources": {
            "crm": {
                "config": {
                    "source": "demo",
                    "demo_size": "tiny",
                    "demo_seed": 7,
                    "demo_truth_path": str(truth_path),
                }
            },
            "run_params": {"config": {"as_of": AS_OF}},
            "warehouse": {"config": {"path": str(published)}},
        }
    }
    job = defs().resolve_job_def("nightly")
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(run_config=run_config, instance=instance)
    return result, published, json.loads(truth_path.read_text())


def query(path, sql, params=None):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_nightly_job_succeeds_and_publishes(nightly_run):
    result, published, _ = nightly_run
    assert result.success
    assert published.exists()
    assert query(published, "select max(as_of)::varchar from trustgap_meta.runs") == [(AS_OF,)]


def test_every_raw_object_is_landed_with_the_generated_row_count(nightly_run):
    _, published, truth = nightly_run
    from connectors.salesforce.objects import OBJECTS

    for obj in OBJECTS:
        (rows,) = query(published, f"select count(*) from raw_salesforce.{obj.table}")[0]
        assert rows == truth["counts"][obj.name], obj.name


def test_planted_stale_past_due_rep_is_flagged(nightly_run):
    _, published, truth = nightly_run
    rep = truth["planted"]["stale_past_due_rep"]["user_id"]
    open_, stale, past_due = query(
        published,
        "select open_deals, stale_deals, past_due_deals from marts.rep_hygiene where rep_id = ?",
        [rep],
    )[0]
    assert open_ > 0
    assert stale / open_ >= 0.8
    assert past_due / open_ >= 0.5
    flagged = query(
        published,
        "select count(*) from marts.fct_deals where owner_id = ? and not is_closed "
        "and is_stale and is_past_due",
        [rep],
    )[0][0]
    assert flagged >= 0.5 * open_


def test_clean_reps_are_not_flagged_as_stale_or_past_due(nightly_run):
    _, published, truth = nightly_run
    clean = truth["clean_rep_ids"]
    assert clean
    rows = query(
        published,
        "select rep_id, open_deals, stale_deals, past_due_deals from marts.rep_hygiene "
        "where list_contains(?, rep_id)",
        [clean],
    )
    assert rows
    for rep_id, open_, stale, past_due in rows:
        assert stale <= max(1, 0.2 * open_), rep_id
        assert past_due <= max(1, 0.2 * open_), rep_id
    # The planted stale rep must stand out from every clean rep.
    planted = truth["planted"]["stale_past_due_rep"]["user_id"]
    worst_clean = max(stale for _, _, stale, _ in rows)
    (planted_stale,) = query(
        published, "select stale_deals from marts.rep_hygiene where rep_id = ?", [planted]
    )[0]
    assert planted_stale > worst_clean
