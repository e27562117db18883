{{ config(materialized='table') }}

{#- When each live deal was open, when it closed and who owned it at creation and at
    close: outcomes are credited to the owner at close, not today's owner. -#}

with deals as (
    select * from {{ ref('int_deals_as_of') }}
),

current_stage_periods as (
    select * from {{ ref('int_deal_stage_periods') }}
    where is_current
),

owner_periods as (
    select * from {{ ref('int_deal_field_periods') }}
    where field = 'owner'
),

closes as (
    select
        deals.deal_id,
        deals.source,
        deals.pipeline,
        deals.owner_id,
        deals.amount,
        deals.is_closed,
        deals.is_won,
        deals.created_at,
        deals.created_on,
        -- a deal closes when a stage change takes it into its closing stage; a deal
        -- with no stage history closed on its close date (the CRM sets it on closing)
        case
            when deals.is_closed
                then coalesce(
                    case
                        when current_stage_periods.period_number > 1
                            then current_stage_periods.entered_at
                    end,
                    {{ local_midnight('deals.close_date') }},
                    current_stage_periods.entered_at
                )
        end as closed_at,
        case
            when deals.is_closed
                then coalesce(
                    case
                        when current_stage_periods.period_number > 1
                            then current_stage_periods.entered_on
                    end,
                    deals.close_date,
                    current_stage_periods.entered_on
                )
        end as closed_on
    from deals
    left join current_stage_periods
        on deals.deal_id = current_stage_periods.deal_id
),

final as (
    select
        closes.deal_id,
        closes.source,
        closes.pipeline,
        closes.owner_id,
        first_owners.value as creation_owner_id,
        case when closes.is_closed then coalesce(close_owners.value, closes.owner_id) end
            as close_owner_id,
        closes.amount,
        closes.is_closed,
        closes.is_won,
        closes.created_at,
        closes.created_on,
        closes.closed_at,
        closes.closed_on,
        {{ fiscal_quarter_start('closes.closed_on') }} as closed_quarter_start,
        -- closed in the last late_quarter_days days of its fiscal quarter (M7)
        closes.closed_on >= {{ fiscal_quarter_next_start('closes.closed_on') }}
        - interval {{ var('late_quarter_days') | int }} day
            as is_late_quarter_close,
        case
            when closes.is_closed and closes.created_on is not null
                then cast(
                    greatest({{ days_between('closes.created_on', 'closes.closed_on') }}, 0)
                    as integer
                )
        end as cycle_days
    from closes
    left join owner_periods as first_owners
        on
            closes.deal_id = first_owners.deal_id
            and first_owners.period_number = 1
    left join owner_periods as close_owners
        on
            closes.deal_id = close_owners.deal_id
            and closes.closed_at >= coalesce(close_owners.valid_from, {{ timestamp_min() }})
            and closes.closed_at < coalesce(close_owners.valid_to, {{ timestamp_max() }})
)

select * from final
