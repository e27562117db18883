"""Trends from the history schema, and what changed since the previous report.

"Since last report" compares the report's as-of date with the latest earlier
date in the history; with a single date there is nothing to compare (first report).
"""

from __future__ import annotations

from pipelines.report.data import Reader, ReportDates

# Director-trend columns shown with their change, and their units.
DIRECTOR_MEASURES = {
    "open_deals": "count",
    "open_value": "currency",
    "stale_deals": "count",
    "stale_value": "currency",
    "stale_share": "share",
    "past_due_deals": "count",
    "slipping_deals": "count",
    "hygiene_score": "score",
    "autonomy_score": "score",
    "process_score": "score",
    "interventions_above": "count",
}


# A median over a handful of teams is one of them, and a director who knows the others'
# sizes could tell whose: below this many teams a director page shows no org median.
MIN_TEAMS_FOR_MEDIAN = 5


def director_trends(r: Reader, d: ReportDates, director_id: str | None = None) -> list[dict]:
    """history.director_trends up to the report's date, one row per director and date
    (not the organisation's row; dates recorded before it existed have no level)."""
    where, params = ("true", []) if director_id is None else ("director_id = ?", [director_id])
    return r.rows(
        f"""
        select as_of, director_id, director_name, {", ".join(DIRECTOR_MEASURES)}
        from history.director_trends
        where as_of <= ? and coalesce(team_leader_level, 'director') = 'director'
            and {where}
        order by director_name, director_id, as_of
        """,
        [d.as_of, *params],
    )


def latest_and_previous(rows: list[dict], d: ReportDates, key: str) -> list[tuple[dict, dict]]:
    """Each `key`'s row at the report's date with its row at the previous report (or None)."""
    latest = {row[key]: row for row in rows if row["as_of"] == d.as_of}
    previous = {row[key]: row for row in rows if row["as_of"] == d.previous_as_of}
    return [(row, previous.get(k)) for k, row in latest.items()]


def kpi_values(r: Reader, d: ReportDates) -> list[dict]:
    """Each metric's org value at the report's date and at the previous report."""
    return r.rows(
        """
        select latest.metric_id, latest.label, latest.unit, latest.theme,
               latest.higher_is_better, latest.org_value, latest.threshold_value,
               previous.org_value as previous_value
        from history.kpi_values latest
        left join history.kpi_values previous
            on previous.metric_id = latest.metric_id and previous.as_of = ?
        where latest.as_of = ?
        order by latest.display_order
        """,
        [d.previous_as_of, d.as_of],
    )


def scores_by_quarter(r: Reader, d: ReportDates, director_id: str) -> list[dict]:
    """The director's teams' scores by quarter, and the org median over every team (the
    organisation's own row is not a team) in quarters with MIN_TEAMS_FOR_MEDIAN teams."""
    return r.rows(
        """
        with org as (
            select quarter_label, quarter_start,
                   median(autonomy_score) as autonomy_score,
                   median(process_score) as process_score,
                   median(hygiene_score) as hygiene_score
            from marts.team_scorecard
            where quarter_start >= ? and team_leader_level != 'organisation'
            group by quarter_label, quarter_start
            having count(*) >= ?
        )
        select team_leader_name as team, 0 as is_median, quarter_label, quarter_start,
               autonomy_score, process_score, hygiene_score
        from marts.team_scorecard where quarter_start >= ? and director_id = ?
        union all
        select 'Org median (all teams)', 1, quarter_label, quarter_start,
               autonomy_score, process_score, hygiene_score
        from org
        order by is_median, team, quarter_start
        """,
        [d.first_quarter, MIN_TEAMS_FOR_MEDIAN, d.first_quarter, director_id],
    )
