"""What a suite is judged against besides its own table: the previous publish and the clock.

Two of Trustgap's own expectation types need more than the table they check:

- ``expect_table_row_count_change_to_be_between`` counts the same table in the previous
  published warehouse, attached read-only to the validating connection
  (``attach_baseline``);
- ``expect_column_max_to_be_recent`` measures age against the run's reference moment,
  with the caller's thresholds, both given in the ``ValidationContext``. The package
  does not decide what they are: Trustgap's pipelines compute them with the rule its
  dbt models use (``pipelines.freshness``), so the asset check, the published freshness
  figures and ``trustgap status`` agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

BASELINE_CATALOG = "previous_publish"
NO_BASELINE = "no previous published run"


@dataclass(frozen=True)
class ValidationContext:
    """The run a suite is validated in.

    ``baseline_catalog`` names an attached DuckDB catalog holding the previous published
    run (None: there is none, and ``baseline_note`` says why). ``baseline_note`` is shown
    to the reader either way, e.g. which run the counts are compared with.
    ``reference_at`` is the moment freshness is measured against (None: the current
    time). ``last_synced_at`` is when the table was last landed or read from the CRM:
    a table an incremental sync found nothing new for is as fresh as that sync,
    however old its newest row. ``freshness_hours`` maps a severity (``warn``,
    ``error``) to the maximum age a freshness expectation of that severity allows
    when its suite gives no ``max_age_hours``.
    """

    baseline_catalog: str | None = None
    baseline_note: str = NO_BASELINE
    reference_at: dt.datetime | None = None
    last_synced_at: dt.datetime | None = None
    freshness_hours: Mapping[str, float] | None = None

    def reference_moment(self) -> dt.datetime:
        return self.reference_at or dt.datetime.now(dt.UTC)


@contextmanager
def attach_baseline(
    con: duckdb.DuckDBPyConnection, published: Path, *, alias: str = BASELINE_CATALOG
) -> Iterator[tuple[str | None, str]]:
    """Attach the previous published warehouse read-only; yield ``(catalog, note)``.

    ``catalog`` is None when there is nothing to compare with: no published file yet,
    the published file is the one being validated, or it cannot be opened (locked by a
    writer, corrupt); ``note`` then says which. The catalog is detached on exit.
    """
    published = Path(published)
    if not published.exists():
        yield None, NO_BASELINE
        return
    ((current,),) = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    if current and Path(current).resolve() == published.resolve():
        yield None, "validating the published warehouse itself: no earlier run to compare with"
        return
    path = str(published).replace("'", "''")
    try:
        con.execute(f"attach '{path}' as {alias} (read_only)")
    except duckdb.Error as exc:
        yield None, f"previous published run unreadable ({exc})"
        return
    try:
        yield alias, _describe_publish(con, alias)
    finally:
        con.execute(f"detach {alias}")


def _describe_publish(con: duckdb.DuckDBPyConnection, catalog: str) -> str:
    """Which run a catalog holds, from its run log (written by every publish)."""
    try:
        rows = con.execute(
            f"select as_of, published_at from {catalog}.trustgap_meta.runs "
            "order by published_at desc limit 1"
        ).fetchall()
    except duckdb.Error:  # a warehouse published before the run log existed
        rows = []
    if not rows:
        return "previous published run"
    ((as_of, published_at),) = rows
    return f"previous published run (as of {as_of}, published {published_at:%Y-%m-%d %H:%M %Z})"
