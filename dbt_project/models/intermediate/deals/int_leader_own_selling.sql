{{ config(materialized='ephemeral') }}

{#- Selling instead of leading (M8), per team leader and fiscal quarter: how much of
    the team's open pipeline and of its won value the team leader owns personally.
    Open pipeline is the deals open at the quarter's end (at the end of as_of for the
    current quarter), with the owner and amount they had then; won value is the
    quarter's won deals, credited to the owner at close (as won_value). The team is
    int_team_members (the leader's subtree plus the leader), so the denominator is
    the team's deals and the leader's own. Every team leader has a row per quarter;
    a share is null when the team has no such value. -#}

with team_members as (
    select * from {{ ref('int_team_members') }}
),

quarters as (
    select
        *,
        {{ local_midnight('period_end') }} + interval 1 day as ends_at
    from {{ ref('int_fiscal_quarters') }}
),

outcomes as (
    select * from {{ ref('int_deal_outcomes') }}
),

field_periods as (
    select * from {{ ref('int_deal_field_periods') }}
    where field in ('owner', 'amount')
),

-- open just before the quarter's end; a deal whose creation date is unknown is
-- open on as_of only
open_at_end as (
    select
        quarters.quarter_start,
        outcomes.deal_id,
        max(field_periods.value) filter (where field_periods.field = 'owner') as owner_id,
        max(try_cast(field_periods.value as double))
            filter (where field_periods.field = 'amount') as amount
    from outcomes
    inner join quarters
        on
            (
                outcomes.created_at < quarters.ends_at
                or (outcomes.created_at is null and quarters.is_current)
            )
            and (outcomes.closed_at >= quarters.ends_at or not outcomes.is_closed)
    inner join field_periods
        on
            outcomes.deal_id = field_periods.deal_id
            and quarters.ends_at > coalesce(field_periods.valid_from, {{ timestamp_min() }})
            and quarters.ends_at <= coalesce(field_periods.valid_to, {{ timestamp_max() }})
    group by all
),

team_open as (
    select
        team_members.team_leader_id,
        open_at_end.quarter_start,
        {{ exact_sum('greatest(open_at_end.amount, 0)') }} as team_open_value,
        {{ exact_sum(
            'greatest(open_at_end.amount, 0)',
            'open_at_end.owner_id = team_members.team_leader_id'
        ) }} as leader_open_value
    from open_at_end
    inner join team_members
        on open_at_end.owner_id = team_members.user_id
    group by all
),

team_won as (
    select
        team_members.team_leader_id,
        outcomes.closed_quarter_start as quarter_start,
        {{ exact_sum('greatest(outcomes.amount, 0)') }} as team_won_value,
        {{ exact_sum(
            'greatest(outcomes.amount, 0)', 'outcomes.close_owner_id = team_members.team_leader_id'
        ) }} as leader_won_value
    from outcomes
    inner join team_members
        on outcomes.close_owner_id = team_members.user_id
    where outcomes.is_won
    group by all
),

shares as (
    select
        team_leaders.team_leader_id,
        quarters.quarter_start,
        coalesce(team_open.team_open_value, 0) as team_open_value,
        coalesce(team_open.leader_open_value, 0) as leader_open_value,
        -- M8 (pipeline): the leader's own open value / the team's, leader included
        coalesce(team_open.leader_open_value, 0)
        / nullif(team_open.team_open_value, 0) as leader_open_pipeline_share,
        coalesce(team_won.team_won_value, 0) as team_won_value,
        coalesce(team_won.leader_won_value, 0) as leader_won_value,
        -- M8 (closing): the leader's own won value / the team's, leader included
        coalesce(team_won.leader_won_value, 0)
        / nullif(team_won.team_won_value, 0) as leader_won_value_share
    from (select distinct team_leader_id from team_members) as team_leaders
    cross join quarters
    left join team_open
        on
            team_leaders.team_leader_id = team_open.team_leader_id
            and quarters.quarter_start = team_open.quarter_start
    left join team_won
        on
            team_leaders.team_leader_id = team_won.team_leader_id
            and quarters.quarter_start = team_won.quarter_start
),

final as (
    select
        *,
        -- M8: either share above var leader_own_value_share_max
        coalesce(leader_open_pipeline_share > {{ var('leader_own_value_share_max') }}, false)
        or coalesce(leader_won_value_share > {{ var('leader_own_value_share_max') }}, false)
            as is_selling_instead_of_leading
    from shares
)

select * from final
