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

-- Its own import, not `actions` again: DuckDB materialises a CTE read twice, every
-- column of 9.6M actions at L (2.2 s), where two reads each scan the columns they need.
open_deal_actions as (
    select * from {{ ref('int_deal_actions') }}
    where is_deal_open
),

-- The actions of one owner, week, actor and kind are counted once, then spread over
-- the owner's leaders: the join multiplies 0.4M groups, not 9.6M actions, at L.
action_groups as (
    select
        owner_id,
        week_start,
        actor_id,
        action_type,
        is_key_field_change,
        is_forecast_override,
        is_deal_open,
        is_late_quarter,
        count(*) as n_actions
    from actions
    group by all
),

counts as (
    select
        user_leaders.leader_id,
        action_groups.week_start,
        {{ sum_actions('action_groups.is_key_field_change') }} as key_field_changes,
        {{ sum_actions(
            'action_groups.is_key_field_change'
            ~ ' and action_groups.actor_id = user_leaders.leader_id'
        ) }} as leader_key_field_changes,
        {{ sum_actions("action_groups.action_type = 'activity'") }} as activities,
        {{ sum_actions(
            "action_groups.action_type = 'activity'"
            ~ ' and action_groups.actor_id = user_leaders.leader_id'
        ) }} as leader_activities,
        {{ sum_actions(
            'action_groups.is_forecast_override'
            ~ ' and action_groups.actor_id = user_leaders.leader_id'
        ) }} as forecast_overrides,  -- M3
        -- owner changes by the leader on open deals, away from a rep who has not left
        {{ sum_actions(
            "action_groups.action_type = 'owner_change'"
            ~ ' and action_groups.actor_id = user_leaders.leader_id'
            ~ ' and action_groups.is_deal_open and previous_owners.is_active'
        ) }} as reassignments,  -- M5 numerator
        {{ sum_actions(
            "action_groups.action_type = 'owner_change'"
            ~ ' and action_groups.actor_id = user_leaders.leader_id'
            ~ ' and action_groups.is_deal_open and previous_owners.is_active'
            ~ ' and action_groups.is_late_quarter'
        ) }} as late_quarter_takeovers,  -- M4
        {{ sum_actions('action_groups.actor_id = user_leaders.leader_id') }} as interventions,
        {{ sum_actions(
            'action_groups.actor_id = user_leaders.leader_id and user_leaders.distance >= 2'
        ) }} as skip_level_interventions
    from action_groups
    inner join user_leaders
        on action_groups.owner_id = user_leaders.user_id
    left join users as previous_owners
        on action_groups.owner_id = previous_owners.user_id
    group by all
),

-- M6: the open deals a leader touched in their subtree, from the leader's own actions
-- only: a distinct count over every subtree action (millions of rows) to keep a few
touched as (
    select
        user_leaders.leader_id,
        open_deal_actions.week_start,
        count(distinct open_deal_actions.deal_id) as touched_deals
    from open_deal_actions
    inner join user_leaders
        on
            open_deal_actions.owner_id = user_leaders.user_id
            and open_deal_actions.actor_id = user_leaders.leader_id
    group by user_leaders.leader_id, open_deal_actions.week_start
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
