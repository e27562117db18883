"""A damaged working file fails the run once, at its start, saying how to recover.

(#15 D14) The working file holds the raw CRM copy and sync cursors; when DuckDB
finds it damaged, every step would fail the same way, so it is not retried as
transient: the run stops before any step, names the file, says the published
copy is intact, and says how to rebuild the working copy.
"""

from __future__ import annotations

import duckdb
import pytest

from pipelines import run_ledger
from pipelines.retries import is_transient
from pipelines.warehouse import RUN_LOG_DDL, working_path
from tests import test_run_alerts

extract_job = test_run_alerts.extract_job
webhook = test_run_alerts.webhook


@pytest.fixture
def published(tmp_path):
    """A published file served since run `goodrun1`, and a working file that is garbage."""
    path = tmp_path / "trustgap.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(RUN_LOG_DDL)
        con.execute(
            "insert into trustgap_meta.runs values ('goodrun1', '2026-11-26', 'demo', now())"
        )
    working_path(path).write_bytes(b"\x00" * 8192 + b"half a warehouse" * 1000)
    return path


def test_a_damaged_working_file_stops_the_run_before_any_step_with_the_way_out(
    extract_job, published, webhook
):
    result = test_run_alerts.run_extract(extract_job, published, source="salesforce")

    assert not result.success
    kinds = [e.event_type_value for e in result.all_events]
    assert "STEP_START" not in kinds and "STEP_UP_FOR_RETRY" not in kinds
    (entry,) = run_ledger.history(published)
    assert entry.failed_steps == ["run start"]
    assert entry.message.startswith("CorruptWorkingFileError: The working file")
    assert f"The published copy {published} is intact and still served (run goodrun1)" in (
        entry.message
    )
    assert "--full-refresh" in entry.message
    (alert,) = webhook
    assert alert["error"] == entry.message


def test_duckdb_finding_its_file_damaged_is_not_transient():
    damaged = duckdb.IOException(
        'The file "w.duckdb" exists, but it is not a valid DuckDB database file!'
    )
    assert not is_transient(damaged)
    truncated = duckdb.IOException('Could not read enough bytes from file "w.duckdb"')
    assert not is_transient(truncated)
    # A lock held for a moment still passes by itself.
    assert is_transient(duckdb.IOException('Could not set lock on file "w.duckdb"'))
