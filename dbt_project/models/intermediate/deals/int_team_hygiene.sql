{{ config(materialized='ephemeral') }}

{#- The hygiene component of team_scorecard: per team leader, the team's deals on
    as_of (fct_deals), open, stale (H1), past due (H2), slipping (H3), complete
    (H6), without any hygiene issue, and held by a deactivated owner (H12). -#}

with team_members as (
    select * from {{ ref('int_team_members') }}
),

deals as (
    select * from {{ ref('fct_deals') }}
),

final as (
    select
        team_members.team_leader_id,
        count(*) filter (where not deals.is_closed) as open_deals,
        count(*) filter (where deals.is_stale) as stale_deals,
        count(*) filter (where deals.is_past_due) as past_due_deals,
        count(*) filter (where deals.is_slipping) as slipping_deals,
        count(*) filter (where not deals.is_closed and deals.is_complete)
        / nullif(count(*) filter (where not deals.is_closed), 0) as completeness,
        count(*) filter (where not deals.is_closed and deals.hygiene_issue_count = 0)
        / nullif(count(*) filter (where not deals.is_closed), 0) as clean_deal_share,
        count(*) filter (where deals.is_owner_inactive) as orphaned_open_deals,
        coalesce({{ exact_sum('deals.amount', 'deals.is_owner_inactive') }}, 0)
            as orphaned_open_value
    from deals
    inner join team_members
        on deals.owner_id = team_members.user_id
    group by all
)

select * from final
