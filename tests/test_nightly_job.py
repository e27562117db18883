"""End to end: the real Dagster nightly job on the tiny demo org.

The fake Salesforce API serves the generated org, the real connector lands it,
dbt builds the marts, the checks run and the warehouse is published.
"""

from connectors.salesforce.objects import OBJECTS
from tests.conftest import DEMO_AS_OF


def test_nightly_job_succeeds_and_publishes(tiny_nightly):
    assert tiny_nightly.result.success
    assert tiny_nightly.published.exists()
    assert tiny_nightly.query("select max(as_of)::varchar from trustgap_meta.runs") == [
        (DEMO_AS_OF,)
    ]


def test_every_raw_object_is_landed_with_the_generated_row_count(tiny_nightly):
    for obj in OBJECTS:
        (rows,) = tiny_nightly.query(f"select count(*) from raw_salesforce.{obj.table}")[0]
        assert rows == tiny_nightly.truth["counts"][obj.name], obj.name


def test_planted_stale_past_due_rep_is_flagged(tiny_nightly):
    rep = tiny_nightly.truth["planted"]["stale_past_due_rep"]["user_id"]
    open_, stale, past_due = tiny_nightly.query(
        "select open_deals, stale_deals, past_due_deals from marts.rep_hygiene where rep_id = ?",
        [rep],
    )[0]
    assert open_ > 0
    assert stale / open_ >= 0.8
    assert past_due / open_ >= 0.5
    (flagged,) = tiny_nightly.query(
        "select count(*) from marts.fct_deals where owner_id = ? and not is_closed "
        "and is_stale and is_past_due",
        [rep],
    )[0]
    assert flagged >= 0.5 * open_


def test_clean_reps_are_not_flagged_as_stale_or_past_due(tiny_nightly):
    clean = tiny_nightly.truth["clean_rep_ids"]
    assert clean
    rows = tiny_nightly.query(
        "select rep_id, open_deals, stale_deals, past_due_deals from marts.rep_hygiene "
        "where list_contains(?, rep_id)",
        [clean],
    )
    assert rows
    for rep_id, open_, stale, past_due in rows:
        assert stale <= max(1, 0.2 * open_), rep_id
        assert past_due <= max(1, 0.2 * open_), rep_id
    # The planted stale rep must stand out from every clean rep.
    planted = tiny_nightly.truth["planted"]["stale_past_due_rep"]["user_id"]
    worst_clean = max(stale for _, _, stale, _ in rows)
    (planted_stale,) = tiny_nightly.query(
        "select stale_deals from marts.rep_hygiene where rep_id = ?", [planted]
    )[0]
    assert planted_stale > worst_clean
