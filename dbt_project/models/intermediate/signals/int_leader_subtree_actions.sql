{{ config(materialized='ephemeral') }}

{#- Per leader and ISO week, the actions on deals owned in the leader's subtree
    (direct and skip-level) at the moment of each action, and the leader's own
    share of them: the counts behind M1 and M3-M6. -#}

with user_leaders as (
    select * from {{ ref('int_user_leaders') }}
),

users as (
    select * from {{ ref('dim_users') }}
),

actions as (
    select * from {{ ref('int_deal_actions') }}
),

counts as (
    select
        user_leaders.leader_id,
        actions.week_start,
        count(*) filter (where actions.is_key_field_change) as key_field_changes,
        count(*) filter (
            where actions.is_key_field_change and actions.actor_id = user_leaders.leader_id
        ) as leader_key_field_changes,
        count(*) filter (where actions.action_type = 'activity') as activities,
        count(*) filter (
            where actions.action_type = 'activity' and actions.actor_id = user_leaders.leader_id
        ) as leader_activities,
        count(*) filter (
            where actions.is_forecast_override and actions.actor_id = user_leaders.leader_id
        ) as forecast_overrides,  -- M3
        -- owner changes by the leader on open deals, away from a rep who has not left
        count(*) filter (
            where
                actions.action_type = 'owner_change'
                and actions.actor_id = user_leaders.leader_id
                and actions.is_deal_open
                and previous_owners.is_active
        ) as reassignments,  -- M5 numerator
        count(*) filter (
            where
                actions.action_type = 'owner_change'
                and actions.actor_id = user_leaders.leader_id
                and actions.is_deal_open
                and previous_owners.is_active
                and actions.is_late_quarter
        ) as late_quarter_takeovers,  -- M4
        count(*) filter (where actions.actor_id = user_leaders.leader_id) as interventions,
        count(*) filter (
            where actions.actor_id = user_leaders.leader_id and user_leaders.distance >= 2
        ) as skip_level_interventions
    from actions
    inner join user_leaders
        on actions.owner_id = user_leaders.user_id
    left join users as previous_owners
        on actions.owner_id = previous_owners.user_id
    group by all
),

-- M6: the open deals a leader touched in their subtree, from the leader's own actions
-- only: a distinct count over every subtree action (millions of rows) to keep a few
touched as (
    select
        user_leaders.leader_id,
        actions.week_start,
        count(distinct actions.deal_id) as touched_deals
    from actions
    inner join user_leaders
        on
            actions.owner_id = user_leaders.user_id
            and actions.actor_id = user_leaders.leader_id
    where actions.is_deal_open
    group by user_leaders.leader_id, actions.week_start
),

final as (
    select
        counts.leader_id,
        counts.week_start,
        counts.key_field_changes,
        counts.leader_key_field_changes,
        counts.activities,
        counts.leader_activities,
        counts.forecast_overrides,
        counts.reassignments,
        counts.late_quarter_takeovers,
        coalesce(touched.touched_deals, 0) as touched_deals,
        counts.interventions,
        counts.skip_level_interventions
    from counts
    left join touched
        on
            counts.leader_id = touched.leader_id
            and counts.week_start = touched.week_start
)

select * from final
