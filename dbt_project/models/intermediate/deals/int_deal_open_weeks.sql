{{ config(materialized='table') }}

{#- Each ISO week a live deal was open (from its creation week to its closing week or
    as_of), once per owner it had while open that week: the deals a leader's subtree
    held that week, whoever owned them in it.

    Most deals had one owner from creation to as_of (one owner period, open at both
    ends): each of their weeks is theirs, so they skip the overlap test and the
    duplicate removal, both of which only the deals that changed hands need. Those
    list, per owner period, only the weeks it can reach (its own span with a week's
    margin either side: zone offsets and daylight saving move a local midnight by
    hours, never by a week), and the overlap test decides as before. -#}

with outcomes as (
    select * from {{ ref('int_deal_outcomes') }}
    where created_on is not null
),

owner_periods as (
    select * from {{ ref('int_deal_field_periods') }}
    where field = 'owner' and value is not null
),

open_spans as (
    select
        deal_id,
        source,
        created_at as open_from,
        coalesce(closed_at, {{ local_midnight(as_of_date()) }} + interval 1 day) as open_to,
        cast(date_trunc('week', created_on) as date) as first_week,
        -- at least the creation week, even for a deal closed before it was created
        greatest(
            cast(date_trunc('week', created_on) as date),
            cast(date_trunc(
                'week', coalesce(least(closed_on, {{ as_of_date() }}), {{ as_of_date() }})
            ) as date)
        ) as last_week
    from outcomes
),

owner_spans as (
    select
        open_spans.deal_id,
        open_spans.source,
        open_spans.open_from,
        open_spans.open_to,
        owner_periods.value as owner_id,
        coalesce(owner_periods.valid_from, {{ timestamp_min() }}) as owned_from,
        coalesce(owner_periods.valid_to, {{ timestamp_max() }}) as owned_to,
        -- open at both ends: the deal's only owner period (any change would end it)
        owner_periods.valid_from is null and owner_periods.valid_to is null as is_single_owner,
        -- the deal's weeks this owner period can reach
        greatest(
            open_spans.first_week,
            coalesce(
                cast(date_trunc('week', {{ local_date('owner_periods.valid_from') }}) as date) - 7,
                open_spans.first_week
            )
        ) as from_week,
        least(
            open_spans.last_week,
            coalesce(
                cast(date_trunc('week', {{ local_date('owner_periods.valid_to') }}) as date) + 7,
                open_spans.last_week
            )
        ) as to_week
    from open_spans
    inner join owner_periods
        on open_spans.deal_id = owner_periods.deal_id
),

owner_weeks as (
    select
        deal_id,
        source,
        open_from,
        open_to,
        owner_id,
        owned_from,
        owned_to,
        is_single_owner,
        {{ date_series_item('from_week', 'to_week', 7, 'week_start') }}
    from owner_spans
    -- a period ending before the deal's first week reaches none of them
    where from_week <= to_week
),

-- one owner throughout: every week the deal was open is held by that owner, once
single_owner_weeks as (
    select deal_id, source, week_start, owner_id, is_single_owner
    from owner_weeks
    where is_single_owner
),

shared_weeks as (
    select distinct deal_id, source, week_start, owner_id, is_single_owner
    from owner_weeks
    -- the owner period overlaps the part of the week the deal was open
    where
        not is_single_owner
        and owned_from < least(open_to, {{ local_midnight('week_start') }} + interval 7 day)
        and owned_to > greatest(open_from, {{ local_midnight('week_start') }})
),

held_weeks as (
    select * from single_owner_weeks
    union all
    select * from shared_weeks
),

final as (
    select
        deal_id,
        source,
        week_start,
        {{ iso_week('week_start') }} as iso_week,
        owner_id,
        is_single_owner
    from held_weeks
)

select * from final
