{{ config(materialized='table') }}

{#- Each stay of a live deal in a stage up to as_of: the as-of cut of
    int_deal_stage_history (every stage event, incremental by deal). A stage change
    by as_of closes the stay in the stage it left (its days are the history's); the
    stay running on as_of began at the deal's last event by then (its creation when
    no stage change came by then) and is in the deal's stage on as_of. -#}

with deals as (
    select * from {{ ref('int_deals_as_of') }}
),

history as (
    select * from {{ ref('int_deal_stage_history') }}
),

closed_periods as (
    select
        deal_id,
        event_number as period_number,
        from_stage as stage,
        from_stage_order as stage_order,
        from_stage_entered_at as entered_at,
        from_stage_entered_on as entered_on,
        occurred_at as exited_at,
        occurred_on as exited_on,
        false as is_current,
        days_in_from_stage as days_in_stage
    from history
    where event_number > 0 and occurred_on <= {{ as_of_date() }}
),

-- The last event by as_of: no stage change came between it and as_of.
current_periods as (
    select
        history.deal_id,
        history.event_number + 1 as period_number,
        deals.stage,
        deals.stage_order,
        history.occurred_at as entered_at,
        history.occurred_on as entered_on,
        cast(null as {{ type_timestamptz() }}) as exited_at,
        cast(null as date) as exited_on,
        true as is_current,
        -- an unknown entry date (unparseable created date) stays unknown
        case
            when history.occurred_on is not null
                then cast(
                    greatest({{ days_between('history.occurred_on', as_of_date()) }}, 0)
                    as integer
                )
        end as days_in_stage
    from history
    inner join deals
        on history.deal_id = deals.deal_id
    where
        (history.event_number = 0 or history.occurred_on <= {{ as_of_date() }})
        and (history.next_changed_on is null or history.next_changed_on > {{ as_of_date() }})
),

periods as (
    select * from closed_periods
    union all
    select * from current_periods
),

final as (
    select
        periods.deal_id || ':' || periods.period_number as stage_period_id,
        periods.deal_id,
        deals.source,
        deals.pipeline,
        cast(periods.period_number as integer) as period_number,
        periods.stage,
        periods.stage_order,
        periods.entered_at,
        periods.entered_on,
        periods.exited_at,
        periods.exited_on,
        periods.is_current,
        periods.days_in_stage
    from periods
    inner join deals
        on periods.deal_id = deals.deal_id
)

select * from final
