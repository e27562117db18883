{{ config(materialized='table') }}

-- Every fiscal quarter from the first deal's creation to the quarter holding as_of.
with bounds as (
    select
        {{ fiscal_quarter_start('min(created_on)') }} as first_quarter_start,
        {{ fiscal_quarter_start(as_of_date()) }} as last_quarter_start
    from {{ ref('int_deals_as_of') }}
),

quarters as (
    select cast(unnest(generate_series(
        coalesce(first_quarter_start, last_quarter_start),
        last_quarter_start,
        interval 3 month
    )) as date) as quarter_start
    from bounds
),

final as (
    select
        quarter_start,
        cast(quarter_start + interval 3 month - interval 1 day as date) as quarter_end,
        -- fiscal years are named after the calendar year they start in
        cast(year(quarter_start
            - interval ({{ var('fiscal_year_start_month') | int }} - 1) month) as varchar)
        || '-Q'
        || cast(
            (month(quarter_start) - {{ var('fiscal_year_start_month') | int }} + 12) % 12 // 3 + 1
            as varchar
        ) as quarter_label,
        cast(quarter_start + interval 3 month - interval ({{ var('late_quarter_days') | int }}) day
            as date) as late_quarter_start,
        quarter_start = {{ fiscal_quarter_start(as_of_date()) }} as is_current,
        cast(least(quarter_start + interval 3 month - interval 1 day, {{ as_of_date() }}) as date)
            as period_end
    from quarters
)

select * from final
