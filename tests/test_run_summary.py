"""What a run prints when it succeeds: names, only the reps with problems, next steps."""

import re
import shutil

import duckdb

from pipelines.nightly_run import EXAMPLE_QUERY, summary
from pipelines.warehouse import working_path

PROBLEMS = "stale_deals + past_due_deals + slipping_deals + missing_next_step_deals"


def _problem_lines(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Top hygiene problems"))
    block = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        block.append(line)
    return block


def test_the_summary_lists_only_reps_with_problems_by_name(tiny_nightly):
    text = summary(tiny_nightly.published, 1.0)
    with_problems = tiny_nightly.query(
        f"select rep_name, manager_name from marts.rep_hygiene where {PROBLEMS} > 0"
    )
    without = tiny_nightly.query(f"select rep_name from marts.rep_hygiene where {PROBLEMS} = 0")
    listed = _problem_lines(text)
    assert 0 < len(listed) <= 5
    assert len(listed) == min(5, len(with_problems))
    for line in listed:
        assert any(line.startswith(f"  {rep} ({manager})") for rep, manager in with_problems)
        assert not any(line.startswith(f"  {rep} ") for (rep,) in without)
    assert "005" not in "\n".join(listed)  # Salesforce user ids never reach the listing


def test_rows_landed_are_counted_in_the_working_file(tiny_nightly):
    text = summary(tiny_nightly.published, 1.0)
    with duckdb.connect(str(working_path(tiny_nightly.published)), read_only=True) as con:
        (opportunities,) = con.execute("select count(*) from raw_salesforce.opportunity").fetchone()
    printed = re.search(r"^  raw_salesforce\.opportunity +([\d,]+)$", text, re.M).group(1)
    assert int(printed.replace(",", "")) == opportunities > 0
    # The CRM this run did not read: one line, not twelve.
    assert "  empty: raw_hubspot.* (12 tables)" in text


def test_a_missing_working_file_leaves_the_rest_of_the_summary(tiny_nightly, tmp_path):
    published = tmp_path / "trustgap.duckdb"
    shutil.copy(tiny_nightly.published, published)
    text = summary(published, 1.0)
    assert f"Rows landed: unknown (no working file at {working_path(published)})" in text
    assert "Top hygiene problems" in text


def test_a_warehouse_without_problems_says_so(tiny_nightly, tmp_path):
    published = tmp_path / "trustgap.duckdb"
    shutil.copy(tiny_nightly.published, published)
    with duckdb.connect(str(published)) as con:
        con.execute(
            "update marts.rep_hygiene set stale_deals = 0, past_due_deals = 0, "
            "slipping_deals = 0, missing_next_step_deals = 0"
        )
    text = summary(published, 1.0)
    assert "Hygiene: no hygiene problems on any open deal" in text
    assert "Top hygiene problems" not in text


def test_the_next_steps_name_the_ui_status_backfill_and_a_query_by_name(tiny_nightly):
    text = summary(tiny_nightly.published, 1.0, ui_command="make dev-demo")
    assert "UI:      make dev-demo" in text
    assert f"status --warehouse {tiny_nightly.published}" in text
    assert "backfill --from 2026-08-28 --to 2026-11-20 --every week" in text
    assert EXAMPLE_QUERY in text
    rows = tiny_nightly.query(EXAMPLE_QUERY)
    assert rows and all(rep_name for rep_name, *_ in rows)


def test_the_summary_names_the_calendar_the_reconciliation_and_orphaned_pipeline(tiny_nightly):
    text = summary(tiny_nightly.published, 1.0)
    assert "Calendar: fiscal year from April (crm), time zone America/Los_Angeles (crm)" in text
    ((crm, marts, quarantined),) = tiny_nightly.query(
        "select crm_open_deals, mart_open_deals, quarantined_open_deals "
        "from marts.pipeline_reconciliation"
    )
    assert crm == marts + quarantined > marts > 0
    assert (
        f"Open deals in the CRM: {crm:,} = {marts:,} in the marts + {quarantined:,} quarantined\n"
        in text
    )
    ((deals, value),) = tiny_nightly.query(
        "select sum(orphaned_open_deals), sum(orphaned_open_value) from marts.rep_hygiene"
    )
    (owner,) = tiny_nightly.query(
        "select rep_name from marts.rep_hygiene where orphaned_open_deals > 0"
    )
    assert deals > 0
    assert (
        f"Orphaned pipeline: {deals:,} open deals worth {value:,.0f} held by deactivated "
        f"owners ({owner[0]}); reassign them"
    ) in text
