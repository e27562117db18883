"""The report's queries, one per section, on the marts and the history.

Each takes an optional `director_id`: given, the query keeps only rows of that
director's subtree (in SQL, before anything reaches Python), which is what makes
a director's page need-to-know by construction.
"""

from __future__ import annotations

from pipelines.report.data import WEEKS_SHOWN, Reader, ReportDates

# Rows of a director's subtree, for tables keyed by a user id.
IN_SUBTREE = "(select user_id from marts.dim_users where director_id = ?)"
# team_scorecard's teams: its organisation row (the CEO's, over every deal) is not one.
TEAMS = "team_leader_level != 'organisation'"


def _scope(column: str, director_id: str | None) -> tuple[str, list]:
    if director_id is None:
        return "true", []
    return f"{column} in {IN_SUBTREE}", [director_id]


def micromanagement_weeks(r: Reader, d: ReportDates, director_id: str | None = None) -> list[dict]:
    """Micromanagement index by leader and ISO week, the leader with the highest mean first."""
    where, params = _scope("leader_id", director_id)
    return r.rows(
        f"""
        select leader_id, leader_name, iso_week, week_start, micromanagement_index,
               breached_signals,
               avg(micromanagement_index) over (partition by leader_id) as mean_index
        from marts.leader_signals_weekly
        where week_start > ?::date - interval {WEEKS_SHOWN} week and {where}
        order by mean_index desc, leader_name, leader_id, week_start
        """,
        [d.marts_as_of, *params],
    )


def leader_summary(r: Reader, d: ReportDates, director_id: str | None = None) -> list[dict]:
    """Per leader over the weeks shown: interventions, skip-level share, takeovers."""
    where, params = _scope("leader_id", director_id)
    return r.rows(
        f"""
        select leader_name, leader_depth,
               avg(micromanagement_index) as mean_index,
               count(*) filter (where micromanagement_index > 0) as flagged_weeks,
               sum(interventions) as interventions,
               sum(skip_level_interventions) as skip_level_interventions,
               sum(skip_level_interventions) / nullif(sum(interventions), 0) as skip_level_share,
               sum(late_quarter_takeovers) as late_quarter_takeovers
        from marts.leader_signals_weekly
        where week_start > ?::date - interval {WEEKS_SHOWN} week and {where}
        group by leader_id, leader_name, leader_depth
        order by mean_index desc, interventions desc, leader_name
        """,
        [d.marts_as_of, *params],
    )


def interventions_above(r: Reader, d: ReportDates, director_id: str | None = None) -> list[dict]:
    """What leaders above each team did in it, by quarter: the directors' orgs on the
    organisation page, the director's own teams on theirs."""
    where = "team_leader_level = 'director'" if director_id is None else "director_id = ?"
    return r.rows(
        f"""
        select team_leader_id, team_leader_name, team_leader_level, quarter_label, quarter_start,
               interventions_above, late_quarter_interventions_above, takeovers_above,
               intervention_share_above, top_intervener_id, top_intervener_name
        from marts.team_scorecard
        where quarter_start >= ? and {where}
        order by quarter_start, team_leader_level, team_leader_name
        """,
        [d.first_quarter, *([director_id] if director_id else [])],
    )


def late_quarter_above(r: Reader, d: ReportDates) -> list[dict]:
    """Each director's org: late-quarter interventions and takeovers from above, most first."""
    return r.rows(
        """
        select team_leader_name as director_name,
               sum(late_quarter_interventions_above) as late_quarter_interventions_above,
               sum(takeovers_above) as takeovers_above,
               sum(interventions_above) as interventions_above
        from marts.team_scorecard
        where team_leader_level = 'director' and quarter_start >= ?
        group by team_leader_id, team_leader_name
        order by late_quarter_interventions_above desc, takeovers_above desc, director_name
        """,
        [d.first_quarter],
    )


def end_of_quarter_concentration(
    r: Reader, d: ReportDates, director_id: str | None = None
) -> list[dict]:
    """End-of-quarter concentration by team and quarter, the most concentrated team first."""
    where, params = (TEAMS, []) if director_id is None else ("director_id = ?", [director_id])
    return r.rows(
        f"""
        select team_leader_id, team_leader_name, team_leader_level, quarter_label,
               quarter_start, end_of_quarter_concentration, closed_deals,
               avg(end_of_quarter_concentration) over (partition by team_leader_id) as mean_value
        from marts.team_scorecard
        where quarter_start >= ? and {where}
        order by mean_value desc nulls last, team_leader_name, quarter_start
        """,
        [d.first_quarter, *params],
    )


def stage_funnel(r: Reader, d: ReportDates) -> list[dict]:
    """Stage conversion and velocity for the quarters shown."""
    return r.rows(
        """
        select pipeline, stage, stage_order, quarter_label, quarter_start, entered, advanced,
               conversion, median_days_in_stage
        from marts.stage_funnel
        where quarter_start >= ?
        order by pipeline, quarter_start, stage_order
        """,
        [d.first_quarter],
    )


def process_by_team(r: Reader, d: ReportDates, director_id: str | None = None) -> list[dict]:
    """This quarter's process figures per team, with the open deals' stage regressions."""
    where, params = (
        ("s." + TEAMS, []) if director_id is None else ("s.director_id = ?", [director_id])
    )
    return r.rows(
        f"""
        with regressions as (
            select manager_id, sum(stage_regression_deals) as stage_regression_deals,
                   sum(stage_skip_deals) as stage_skip_deals
            from marts.rep_hygiene group by manager_id
        )
        select s.team_leader_name, s.team_leader_level, s.director_name, s.forward_moves,
               s.stage_skip_rate, s.stage_conversion, s.median_days_in_stage, s.completeness,
               s.process_score, g.stage_skip_deals, g.stage_regression_deals
        from marts.team_scorecard s left join regressions g on g.manager_id = s.team_leader_id
        where s.is_current_quarter and {where}
        order by s.stage_skip_rate desc nulls last, s.team_leader_name
        """,
        params,
    )


def skill_gaps(r: Reader, d: ReportDates, director_id: str | None = None) -> list[dict]:
    """Every rep's skill gap over the trailing window, with names, by team and rep."""
    where, params = _scope("rep_id", director_id)
    return r.rows(
        f"""
        select director_name, team_leader_name, rep_name, metric_name, stage, skill, direction,
               value, team_p25, team_median, team_p75, deals, period_label
        from marts.rep_skills
        where period_type = 'trailing' and is_skill_gap and {where}
        order by director_name, team_leader_name, rep_name, metric_name, stage
        """,
        params,
    )


def hygiene_by_director(r: Reader) -> list[dict]:
    """Open pipeline value that is stale, past due, slipping or stuck, per Sales Director."""
    return r.rows(
        """
        select coalesce(u.director_name, '(above the directors)') as director_name,
               count(*) as open_deals, sum(d.amount) as open_value,
               sum(d.amount) filter (where d.is_stale) as stale_value,
               sum(d.amount) filter (where d.is_past_due) as past_due_value,
               sum(d.amount) filter (where d.is_slipping) as slipping_value,
               sum(d.amount) filter (where d.is_stuck) as stuck_value,
               count(*) filter (where d.is_stale) as stale_deals
        from marts.fct_deals d join marts.dim_users u on u.user_id = d.owner_id
        where not d.is_closed
        group by u.director_id, u.director_name
        order by stale_value desc nulls last, director_name
        """
    )


def rep_hygiene(r: Reader, director_id: str | None = None, limit: int | None = None) -> list[dict]:
    """Reps' open-deal hygiene, those with the most stale deals first."""
    where, params = _scope("rep_id", director_id)
    return r.rows(
        f"""
        select rep_name, manager_name, is_active, open_deals, open_value, stale_deals,
               past_due_deals, slipping_deals, stuck_deals, missing_next_step_deals,
               completeness, stale_value_share
        from marts.rep_hygiene
        where {where} and open_deals > 0
        order by stale_deals desc, past_due_deals desc, slipping_deals desc, rep_name
        {f"limit {int(limit)}" if limit else ""}
        """,
        params,
    )


def orphaned_pipeline(r: Reader, director_id: str | None = None) -> list[dict]:
    """Deactivated reps still holding open deals (H12), the most value first."""
    where, params = _scope("rep_id", director_id)
    return r.rows(
        f"""
        select rep_name, manager_name, orphaned_open_deals, orphaned_open_value
        from marts.rep_hygiene
        where {where} and orphaned_open_deals > 0
        order by orphaned_open_value desc, rep_name
        """,
        params,
    )


def orphaned_total(r: Reader, director_id: str | None = None) -> dict:
    """This quarter's orphaned pipeline of the organisation (its team_scorecard row), or of
    a director's org (the director's row)."""
    where, params = (
        ("team_leader_level = 'organisation'", [])
        if director_id is None
        else ("team_leader_id = ? and team_leader_level = 'director'", [director_id])
    )
    rows = r.rows(
        f"""
        select open_deals, orphaned_open_deals, orphaned_open_value
        from marts.team_scorecard
        where is_current_quarter and {where}
        """,
        params,
    )
    return (
        rows[0] if rows else {"open_deals": 0, "orphaned_open_deals": 0, "orphaned_open_value": 0}
    )
