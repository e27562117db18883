{{ config(materialized='table') }}

{#- Every stage change of a live deal up to as_of, placed on the funnel (open stages
    1..n, won n + 1, lost off the funnel), with the owner at the time: the as-of cut
    of int_deal_stage_history (incremental by deal), where each change is placed. -#}

with deals as (
    select * from {{ ref('int_deals_as_of') }}
),

history as (
    select * from {{ ref('int_deal_stage_history') }}
    where event_number > 0 and occurred_on <= {{ as_of_date() }}
),

final as (
    select
        history.change_id as transition_id,
        deals.source,
        deals.pipeline,
        history.deal_id,
        history.from_stage,
        history.to_stage,
        history.from_stage_order,
        history.to_stage_order,
        history.from_funnel_order,
        history.to_funnel_order,
        history.changed_by,
        history.occurred_at as changed_at,
        history.occurred_on as changed_on,
        -- an owner period still running on as_of holds the deal's owner then, as in
        -- int_deal_field_periods (history can miss a change the record has)
        case
            when history.logged_owner_until <= {{ as_of_date() }} then history.logged_owner_id
            else deals.owner_id
        end as owner_id,
        history.is_forward,
        history.is_skip,
        history.stages_skipped,
        history.is_regression
    from history
    inner join deals
        on history.deal_id = deals.deal_id
)

select * from final
