"""The working file's health: a damaged one is named, with the way to rebuild it.

The working file holds the raw CRM copy and the sync cursors. When DuckDB finds
it damaged, every step would fail the same way, so the run stops before any step
runs and is not retried (pipelines/retries.py).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from connectors.errors import TrustgapError
from pipelines.duckdb_settings import bound
from pipelines.warehouse import published_run_id, working_path


class CorruptWorkingFileError(TrustgapError):
    """The working file cannot be read: damaged, truncated or not a DuckDB file."""


# What DuckDB says about a damaged file (as opposed to a lock held for a moment):
# running again cannot fix these.
CORRUPT_FILE_MESSAGES = (
    "not a valid duckdb database file",
    "could not read enough bytes",
    "corrupt",
    "checksum",
    "failed to load metadata",
)


def is_corrupt_file_error(error: BaseException) -> bool:
    """Whether `error` is DuckDB finding its file damaged."""
    text = str(error).lower()
    return isinstance(error, duckdb.Error) and any(m in text for m in CORRUPT_FILE_MESSAGES)


def check_working_file(published: Path) -> None:
    """Raise CorruptWorkingFileError, with how to recover, unless the working file reads.

    The working file holds the raw CRM copy and the sync cursors, which only the CRM
    can give back: a full refresh into a new working file rebuilds it. The published
    file holds neither, so it cannot stand in, but it is untouched and still served.
    """
    working = working_path(published)
    if not working.exists():
        return
    try:
        with bound(duckdb.connect(str(working))) as con:
            con.execute("select count(*) from duckdb_tables()").fetchall()
    except duckdb.Error as exc:
        if not is_corrupt_file_error(exc):
            raise
        served = published_run_id(published)
        intact = (
            f"The published copy {published} is intact and still served (run {served[:8]})."
            if served
            else "Nothing has been published from it yet."
        )
        raise CorruptWorkingFileError(
            f"The working file {working} is damaged ({str(exc).splitlines()[0][:200]}); "
            f"running again will not fix it. {intact} To rebuild it, move it aside and "
            f"re-read the CRM: mv '{working}' '{working}.damaged' and run again with "
            "--full-refresh (a new working file starts with a full extract anyway)."
        ) from None
