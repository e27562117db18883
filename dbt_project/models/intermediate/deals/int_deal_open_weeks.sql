{{ config(materialized='table') }}

{#- Each ISO week a live deal was open (from its creation week to its closing week or
    as_of), once per owner it had while open that week: the deals a leader's subtree
    held that week, whoever owned them in it. -#}

with outcomes as (
    select * from {{ ref('int_deal_outcomes') }}
    where created_on is not null
),

owner_periods as (
    select * from {{ ref('int_deal_field_periods') }}
    where field = 'owner'
),

open_spans as (
    select
        deal_id,
        source,
        created_at as open_from,
        coalesce(closed_at, {{ local_midnight(as_of_date()) }} + interval 1 day) as open_to,
        cast(date_trunc('week', created_on) as date) as first_week,
        cast(date_trunc('week', coalesce(least(closed_on, {{ as_of_date() }}), {{ as_of_date() }}))
            as date) as last_week
    from outcomes
),

deal_weeks as (
    select
        deal_id,
        source,
        open_from,
        open_to,
        {{ date_series_item('first_week', 'greatest(first_week, last_week)', 7, 'week_start') }}
    from open_spans
),

final as (
    select distinct
        deal_weeks.deal_id,
        deal_weeks.source,
        deal_weeks.week_start,
        {{ iso_week('deal_weeks.week_start') }} as iso_week,
        owner_periods.value as owner_id
    from deal_weeks
    inner join owner_periods
        on
            deal_weeks.deal_id = owner_periods.deal_id
            -- the owner period overlaps the part of the week the deal was open
            and coalesce(owner_periods.valid_from, {{ timestamp_min() }})
            < least(
                deal_weeks.open_to, {{ local_midnight('deal_weeks.week_start') }} + interval 7 day
            )
            and coalesce(owner_periods.valid_to, {{ timestamp_max() }})
            > greatest(deal_weeks.open_from, {{ local_midnight('deal_weeks.week_start') }})
    where owner_periods.value is not null
)

select * from final
