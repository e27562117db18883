{{ config(materialized='table') }}

{#- Deals open when a fiscal quarter started, with the close date, amount, forecast
    category and owner they had at that moment (H10 slipped_rate, P8 commit_accuracy),
    and where they stood at the quarter's end (or on as_of for the current quarter). -#}

with quarters as (
    select
        *,
        {{ local_midnight('quarter_start') }} as starts_at,
        {{ local_midnight('period_end') }} + interval 1 day as ends_at
    from {{ ref('int_fiscal_quarters') }}
),

outcomes as (
    select * from {{ ref('int_deal_outcomes') }}
),

field_periods as (
    select * from {{ ref('int_deal_field_periods') }}
    where field in ('close_date', 'amount', 'forecast_category', 'owner')
),

open_at_start as (
    select
        outcomes.deal_id,
        outcomes.source,
        outcomes.pipeline,
        quarters.quarter_start,
        quarters.quarter_end,
        quarters.starts_at,
        quarters.ends_at,
        outcomes.is_won,
        outcomes.closed_on
    from outcomes
    inner join quarters
        on
            outcomes.created_at < quarters.starts_at
            and (outcomes.closed_at >= quarters.starts_at or not outcomes.is_closed)
),

field_values as (
    select
        open_at_start.deal_id,
        open_at_start.quarter_start,
        field_periods.field,
        field_periods.value,
        open_at_start.starts_at >= coalesce(field_periods.valid_from, {{ timestamp_min() }})
        and open_at_start.starts_at < coalesce(field_periods.valid_to, {{ timestamp_max() }})
            as held_at_start,
        -- held just before the quarter's end (or as_of's end)
        open_at_start.ends_at > coalesce(field_periods.valid_from, {{ timestamp_min() }})
        and open_at_start.ends_at <= coalesce(field_periods.valid_to, {{ timestamp_max() }})
            as held_at_end
    from open_at_start
    inner join field_periods
        on open_at_start.deal_id = field_periods.deal_id
),

values_at as (
    select
        deal_id,
        quarter_start,
        max(value) filter (where field = 'close_date' and held_at_start) as start_close_date,
        max(value) filter (where field = 'amount' and held_at_start) as start_amount,
        max(value) filter (where field = 'forecast_category' and held_at_start)
            as start_forecast_category,
        max(value) filter (where field = 'owner' and held_at_start) as start_owner_id,
        max(value) filter (where field = 'close_date' and held_at_end) as end_close_date
    from field_values
    group by deal_id, quarter_start
),

final as (
    select
        open_at_start.deal_id,
        open_at_start.source,
        open_at_start.pipeline,
        open_at_start.quarter_start,
        open_at_start.quarter_end,
        values_at.start_owner_id,
        try_cast(values_at.start_close_date as date) as start_close_date,
        try_cast(values_at.start_amount as double) as start_amount,
        values_at.start_forecast_category,
        try_cast(values_at.start_close_date as date)
        between open_at_start.quarter_start and open_at_start.quarter_end as was_due_in_quarter,
        coalesce(
            values_at.start_forecast_category in (
                {%- for category in var('commit_forecast_categories') %}
                '{{ category }}'{{ ',' if not loop.last }}
                {%- endfor %}
            ),
            false
        ) as was_committed,
        try_cast(values_at.end_close_date as date) as end_close_date,
        -- won within the quarter (up to as_of for the current one)
        coalesce(
            open_at_start.is_won
            and open_at_start.closed_on
            between open_at_start.quarter_start and open_at_start.quarter_end,
            false
        ) as is_won_in_quarter,
        -- due in the quarter and still dated after it at its end (or on as_of)
        coalesce(
            try_cast(values_at.start_close_date as date)
            between open_at_start.quarter_start and open_at_start.quarter_end
            and try_cast(values_at.end_close_date as date) > open_at_start.quarter_end
            and not coalesce(open_at_start.closed_on <= open_at_start.quarter_end, false),
            false
        ) as has_slipped
    from open_at_start
    inner join values_at
        on
            open_at_start.deal_id = values_at.deal_id
            and open_at_start.quarter_start = values_at.quarter_start
)

select * from final
