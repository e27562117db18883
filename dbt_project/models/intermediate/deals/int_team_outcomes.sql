{{ config(materialized='ephemeral') }}

{#- The outcome part of team_scorecard's process component, per team leader and
    fiscal quarter: P3 win rate and M7 end-of-quarter concentration of the deals
    closed in the quarter (credited to the owner at close), and H10 the share of
    the value due at the quarter's start (owner then in the team) that slipped. -#}

with team_members as (
    select * from {{ ref('int_team_members') }}
),

team_closes as (
    select
        team_members.team_leader_id,
        outcomes.closed_quarter_start as quarter_start,
        count(*) as closed_deals,
        count(*) filter (where outcomes.is_won) as won_deals,
        {{ exact_sum('greatest(outcomes.amount, 0)', 'outcomes.is_won') }} as won_value,
        {{ exact_sum(
            'greatest(outcomes.amount, 0)', 'outcomes.is_won and outcomes.is_late_quarter_close'
        ) }} as late_quarter_won_value
    from {{ ref('int_deal_outcomes') }} as outcomes
    inner join team_members
        on outcomes.close_owner_id = team_members.user_id
    where outcomes.is_closed
    group by all
),

team_slips as (
    select
        team_members.team_leader_id,
        states.quarter_start,
        {{ exact_sum('greatest(coalesce(states.start_amount, 0), 0)') }} as due_value,
        {{ exact_sum('greatest(coalesce(states.start_amount, 0), 0)', 'states.has_slipped') }}
            as slipped_value
    from {{ ref('int_deal_quarter_states') }} as states
    inner join team_members
        on states.start_owner_id = team_members.user_id
    where states.was_due_in_quarter
    group by all
),

final as (
    select
        coalesce(team_closes.team_leader_id, team_slips.team_leader_id) as team_leader_id,
        coalesce(team_closes.quarter_start, team_slips.quarter_start) as quarter_start,
        team_closes.closed_deals,
        team_closes.won_deals / nullif(team_closes.closed_deals, 0) as win_rate,  -- P3
        team_closes.won_value,
        coalesce(team_closes.late_quarter_won_value, 0)
        / nullif(team_closes.won_value, 0) as end_of_quarter_concentration,  -- M7
        team_slips.due_value,
        coalesce(team_slips.slipped_value, 0)
        / nullif(team_slips.due_value, 0) as slipped_rate  -- H10
    from team_closes
    full outer join team_slips
        on
            team_closes.team_leader_id = team_slips.team_leader_id
            and team_closes.quarter_start = team_slips.quarter_start
)

select * from final
