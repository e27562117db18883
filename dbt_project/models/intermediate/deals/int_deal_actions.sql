{{ config(materialized='table') }}

{#- Everything anyone did on a live deal up to as_of, with the deal's owner at that
    moment: key-field changes, owner changes and activities logged or assigned on it.
    The base of the micromanagement signals (an intervention is an action by a leader
    of the owner). A forecast-category change made by the same save as a stage change
    is part of that stage move, not an action of its own.

    The as-of part of int_deal_action_history (every action ever, incremental by
    deal): the actions up to as_of on deals live then, activities only when valid
    on as_of, and the owner of the period still running on as_of taken from the
    deal's record then (history can miss a change the record has). -#}

with history as (
    select * from {{ ref('int_deal_action_history') }}
    where acted_on <= {{ as_of_date() }}
),

deals as (
    select * from {{ ref('int_deals_as_of') }}
),

outcomes as (
    select * from {{ ref('int_deal_outcomes') }}
),

-- the owner period running on as_of: the one after the last owner change by then
owner_changes_by_as_of as (
    select
        deal_id,
        count(*) as owner_change_count
    from {{ ref('int_deal_changes') }}
    where
        field = 'owner'
        and changed_on <= {{ as_of_date() }}
    group by deal_id
),

valid_activities as (
    select activity_id from {{ ref('int_activities') }}
    where created_on <= {{ as_of_date() }}
),

final as (
    select
        history.action_id,
        deals.source,
        history.deal_id,
        history.action_type,
        history.field,
        history.activity_type,
        history.actor_id,
        coalesce(
            history.previous_owner_id,
            case
                when
                    history.owner_change_number
                    = coalesce(owner_changes_by_as_of.owner_change_count, 0)
                    then cast(deals.owner_id as string)
                else history.history_owner_id
            end
        ) as owner_id,
        history.new_owner_id,
        history.assignee_id,
        history.acted_at,
        history.acted_on,
        history.week_start,
        history.iso_week,
        history.quarter_start,
        history.is_late_quarter,
        history.is_key_field_change,
        history.is_forecast_override,
        -- open when it happened: before the deal closed (or it is still open)
        coalesce(history.acted_at < outcomes.closed_at, not outcomes.is_closed, true)
            as is_deal_open
    from history
    inner join deals
        on history.deal_id = deals.deal_id
    left join outcomes
        on history.deal_id = outcomes.deal_id
    left join owner_changes_by_as_of
        on history.deal_id = owner_changes_by_as_of.deal_id
    left join valid_activities
        on
            history.action_type = 'activity'
            and history.action_id = valid_activities.activity_id
    -- an activity counts only while it is valid (int_activities: not quarantined)
    where history.action_type != 'activity' or valid_activities.activity_id is not null
)

select * from final
