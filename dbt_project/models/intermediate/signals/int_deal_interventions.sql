{{ config(materialized='table') }}

{#- Interventions: actions on a deal by a leader of the deal's owner at that moment
    (direct manager at distance 1, skip-level above). A leader's actions on deals
    they own themselves are not interventions. -#}

with actions as (
    select * from {{ ref('int_deal_actions') }}
),

user_leaders as (
    select * from {{ ref('int_user_leaders') }}
),

final as (
    select
        actions.action_id,
        actions.source,
        actions.deal_id,
        actions.action_type,
        actions.field,
        actions.activity_type,
        actions.actor_id as leader_id,
        actions.owner_id,
        actions.new_owner_id,
        actions.assignee_id,
        user_leaders.distance,
        user_leaders.distance >= 2 as is_skip_level,
        user_leaders.via_report_id,
        actions.acted_at,
        actions.acted_on,
        actions.week_start,
        actions.iso_week,
        actions.quarter_start,
        actions.is_late_quarter,
        actions.is_key_field_change,
        actions.is_forecast_override,
        actions.is_deal_open
    from actions
    inner join user_leaders
        on
            actions.owner_id = user_leaders.user_id
            and actions.actor_id = user_leaders.leader_id
)

select * from final
