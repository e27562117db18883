"""End to end: the real Dagster nightly job on the tiny demo org.

The fake Salesforce API serves the generated org, the real connector lands it,
dbt builds the marts, the checks run and the warehouse is published.
"""

import os

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
        (rows,) = tiny_nightly.query(
            f"select count(*) from raw_salesforce.{obj.table}", working=True
        )[0]
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


def test_a_run_leaves_its_dbt_parse_for_the_next_and_prunes_old_run_folders(tmp_path):
    from pipelines.defs.dbt_models import keep_parse_state

    target = tmp_path / "target"
    (target / "partial_parse.msgpack").parent.mkdir()
    (target / "partial_parse.msgpack").write_bytes(b"parsed by trustgap prepare")
    runs = []
    for n in range(5):
        run = target / f"trustgap_dbt_models-run{n}-abc"
        run.mkdir()
        (run / "partial_parse.msgpack").write_bytes(f"parsed by run {n}".encode())
        os.utime(run, (1_000 + n, 1_000 + n))
        runs.append(run)

    keep_parse_state(runs[-1], project_target=target, keep_runs=3)

    # The next run on this warehouse starts from this run's parse (same profile).
    assert (target / "partial_parse.msgpack").read_bytes() == b"parsed by run 4"
    assert sorted(p.name for p in target.glob("trustgap_dbt_models-*")) == [
        "trustgap_dbt_models-run2-abc",
        "trustgap_dbt_models-run3-abc",
        "trustgap_dbt_models-run4-abc",
    ]
    assert not list(target.glob(".partial_parse.*"))
