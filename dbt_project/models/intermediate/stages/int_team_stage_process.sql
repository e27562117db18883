{{ config(materialized='ephemeral') }}

{#- The stage part of team_scorecard's process component, per team leader and
    fiscal quarter: H9 stage skips (by the quarter of the move), P1 conversion and
    P2 days in stage (by the quarter the stage was entered). -#}

with team_members as (
    select * from {{ ref('int_team_members') }}
),

team_moves as (
    select
        team_members.team_leader_id,
        {{ fiscal_quarter_start('transitions.changed_on') }} as quarter_start,
        count(*) filter (where transitions.is_forward) as forward_moves,
        count(*) filter (where transitions.is_skip) as skipped_moves
    from {{ ref('int_stage_transitions') }} as transitions
    inner join team_members
        on transitions.owner_id = team_members.user_id
    group by all
),

team_entries as (
    select
        team_members.team_leader_id,
        entries.entered_quarter_start as quarter_start,
        count(*) filter (where entries.has_advanced) as advanced_entries,
        count(*) filter (where entries.is_resolved) as resolved_entries,
        {{ percentile_cont('cast(entries.days_in_stage as double)', 0.5) }} as median_days_in_stage
    from {{ ref('int_stage_entries') }} as entries
    inner join team_members
        on entries.owner_id = team_members.user_id
    group by all
),

final as (
    select
        coalesce(team_moves.team_leader_id, team_entries.team_leader_id) as team_leader_id,
        coalesce(team_moves.quarter_start, team_entries.quarter_start) as quarter_start,
        team_moves.forward_moves,
        team_moves.skipped_moves / nullif(team_moves.forward_moves, 0) as stage_skip_rate,  -- H9
        team_entries.advanced_entries / nullif(team_entries.resolved_entries, 0)
            as stage_conversion,  -- P1
        team_entries.median_days_in_stage  -- P2
    from team_moves
    full outer join team_entries
        on
            team_moves.team_leader_id = team_entries.team_leader_id
            and team_moves.quarter_start = team_entries.quarter_start
)

select * from final
