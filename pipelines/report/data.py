"""Every figure the report shows, read with SQL from the published warehouse (read-only).

The numbers are the marts' and the history's: queries here select, filter, sort
and at most sum or take a median over mart rows; nothing is recomputed from deals.
A Sales Director's queries take the director's id and read only rows of their
subtree (`marts.dim_users.director_id`), so their page cannot show anyone else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from connectors.errors import TrustgapError

# How far back the weekly and quarterly charts reach.
WEEKS_SHOWN = 13
QUARTERS_SHOWN = 4


class ReportInputError(TrustgapError):
    """The warehouse cannot give the report what it needs (none published, unknown date)."""


@dataclass(frozen=True)
class ReportDates:
    """The marts' as-of date, when they were published, and the history's dates up to it."""

    marts_as_of: dt.date
    published_at: dt.datetime | None
    as_of: dt.date
    previous_as_of: dt.date | None
    first_quarter: dt.date


class Reader:
    """A read-only connection to the published warehouse, answering in rows of dicts."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        cursor = self.con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def dates(self, as_of: dt.date | None = None) -> ReportDates:
        """The report's dates; `as_of` must be the marts' date or one in the history."""
        marts_as_of, published_at = self.con.execute(
            "select max(computed_as_of), max(published_at) from marts.kpi_catalog"
        ).fetchone()
        history = [
            d
            for (d,) in self.con.execute(
                "select distinct as_of from history.director_trends order by as_of desc"
            ).fetchall()
        ]
        as_of = as_of or marts_as_of
        if as_of != marts_as_of and as_of not in history:
            known = ", ".join(d.isoformat() for d in history[:5]) or "none"
            raise ReportInputError(
                f"--as-of {as_of}: the warehouse has the marts as of {marts_as_of} and history "
                f"for {known}; pick one of those dates (or backfill it: trustgap backfill)."
            )
        earlier = [d for d in history if d < as_of]
        (first_quarter,) = self.con.execute(
            "select min(quarter_start) from (select distinct quarter_start "
            "from marts.team_scorecard order by quarter_start desc limit ?)",
            [QUARTERS_SHOWN],
        ).fetchone()
        return ReportDates(
            marts_as_of=marts_as_of,
            published_at=published_at,
            as_of=as_of,
            previous_as_of=earlier[0] if earlier else None,
            first_quarter=first_quarter,
        )

    # -- people -----------------------------------------------------------------------

    def directors(self) -> list[dict]:
        """Every Sales Director with a scorecard row, by name."""
        return self.rows(
            "select distinct team_leader_id as director_id, team_leader_name as director_name "
            "from marts.team_scorecard where team_leader_level = 'director' "
            "order by director_name, director_id"
        )

    def subtree(self, director_id: str) -> list[dict]:
        """The director and everyone under them."""
        return self.rows(
            "select user_id, name, manager_name, is_manager, depth from marts.dim_users "
            "where director_id = ? order by depth, name",
            [director_id],
        )

    def line_above(self, director_id: str) -> list[str]:
        """The ids of the leaders above a director (their manager, theirs, up to the CEO)."""
        return [
            user_id
            for (user_id,) in self.con.execute(
                """
                with recursive chain(user_id, manager_id) as (
                    select user_id, manager_id from marts.dim_users where user_id = ?
                    union all
                    select u.user_id, u.manager_id
                    from marts.dim_users u join chain c on u.user_id = c.manager_id
                )
                select user_id from chain where user_id != ?
                """,
                [director_id, director_id],
            ).fetchall()
        ]


@contextmanager
def open_warehouse(path: Path) -> Iterator[Reader]:
    """A Reader on the published file at `path`, closed afterwards."""
    if not path.exists():
        raise ReportInputError(
            f"No published warehouse at {path}: run `trustgap run` or `trustgap demo` first."
        )
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield Reader(con)
    finally:
        con.close()
