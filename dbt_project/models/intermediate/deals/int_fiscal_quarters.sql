{{ config(materialized='table') }}

-- Every fiscal quarter from the first deal's creation to the quarter holding as_of.
with bounds as (
    select
        {{ fiscal_quarter_start('min(created_on)') }} as first_quarter_start,
        {{ fiscal_quarter_start(as_of_date()) }} as last_quarter_start
    from {{ ref('int_deals_as_of') }}
),

-- day by day rather than three months at a time: custom fiscal quarters (macros/fiscal.sql)
-- need not last three months
days as (
    select
        {{ date_series_item(
            'coalesce(first_quarter_start, last_quarter_start)', 'last_quarter_start', 1, 'day'
        ) }}
    from bounds
),

quarters as (
    select distinct {{ fiscal_quarter_start('day') }} as quarter_start
    from days
),

final as (
    select
        quarter_start,
        cast({{ fiscal_quarter_next_start('quarter_start') }} - 1 as date) as quarter_end,
        {{ fiscal_quarter_label('quarter_start') }} as quarter_label,
        cast({{ fiscal_quarter_next_start('quarter_start') }}
            - interval {{ var('late_quarter_days') | int }} day as date) as late_quarter_start,
        quarter_start = {{ fiscal_quarter_start(as_of_date()) }} as is_current,
        cast(
            least({{ fiscal_quarter_next_start('quarter_start') }} - 1, {{ as_of_date() }}) as date
        ) as period_end
    from quarters
)

select * from final
