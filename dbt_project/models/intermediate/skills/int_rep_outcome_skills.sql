{{ config(materialized='ephemeral') }}

{#- P3 win rate, P4 cycle length, P6 sales velocity and P7 ramp per rep and period,
    with the deals behind each value and its standard error (int_rep_skill_values
    unions every skill family). Outcomes are credited to the owner at close, new
    deals to the owner at creation. -#}

with periods as (
    {{ skill_periods() }}
),

users as (
    select * from {{ ref('int_users') }}
),

closes as (
    {{ skill_period_closes() }}
),

creations as (
    select
        periods.period_type,
        periods.period_start,
        outcomes.creation_owner_id as rep_id,
        count(*) as created_deals
    from {{ ref('int_deal_outcomes') }} as outcomes
    inner join periods
        on outcomes.created_on between periods.period_start and periods.period_end
    where outcomes.creation_owner_id is not null
    group by all
),

close_stats as (
    select
        close_owner_id as rep_id,
        period_type,
        period_start,
        count(*) as closed_deals,
        count(*) filter (where is_won) as won_deals,
        coalesce({{ exact_sum('greatest(amount, 0)') }}, 0) as closed_amount,
        coalesce({{ exact_sum('greatest(amount, 0)', 'is_won') }}, 0) as won_amount,
        {{ exact_avg('greatest(amount, 0)', 'is_won') }} as average_won_amount,
        -- Kish effective number of deals behind an amount-weighted share
        power(coalesce({{ exact_sum('greatest(amount, 0)') }}, 0), 2)
        / nullif({{ exact_sum_of_squares('greatest(amount, 0)') }}, 0) as closed_amount_deals,
        {{ percentile_cont('case when is_won then cast(cycle_days as double) end', 0.5) }}
            as median_cycle_days,
        {{ exact_stddev('case when is_won then cycle_days end') }} as cycle_days_stddev
    from closes
    group by all
),

tenure as (
    select
        users.user_id as rep_id,
        periods.period_type,
        periods.period_start,
        {{ month_boundaries(local_date('users.created_at'), 'periods.period_start') }}
            as tenure_months
    from users
    cross join periods
    where users.created_at is not null
),

bookings as (
    select
        tenure.rep_id,
        tenure.period_type,
        tenure.period_start,
        tenure.tenure_months,
        coalesce(close_stats.won_amount, 0) as won_amount,
        coalesce(close_stats.won_deals, 0) as won_deals,
        coalesce(close_stats.closed_deals, 0) as closed_deals,
        close_stats.closed_amount / nullif(close_stats.closed_deals, 0) as average_closed_amount
    from tenure
    left join close_stats
        on
            tenure.rep_id = close_stats.rep_id
            and tenure.period_type = close_stats.period_type
            and tenure.period_start = close_stats.period_start
),

-- P7 compares ramping reps with reps past ramp_months who closed a deal in the period
tenured_bookings as (
    select
        period_type,
        period_start,
        {{ percentile_cont('won_amount', 0.5) }} as tenured_median_bookings
    from bookings
    where tenure_months >= {{ var('ramp_months') | int }} and closed_deals > 0
    group by all
),

skills as (
    select
        close_stats.rep_id,
        close_stats.period_type,
        close_stats.period_start,
        'P3' as metric_id,
        'win_rate_count' as metric_name,
        cast(null as string) as stage,
        close_stats.won_deals / nullif(close_stats.closed_deals, 0) as value,  -- P3
        close_stats.closed_deals as deals,
        {{ share_standard_error(
            'close_stats.won_deals / nullif(close_stats.closed_deals, 0)',
            'close_stats.closed_deals'
        ) }} as standard_error
    from close_stats

    union all

    select
        rep_id,
        period_type,
        period_start,
        'P3',
        'win_rate_amount',
        null,
        won_amount / nullif(closed_amount, 0),  -- P3 by amount
        closed_deals,
        {{ share_standard_error('won_amount / nullif(closed_amount, 0)', 'closed_amount_deals') }}
    from close_stats

    union all

    select
        rep_id,
        period_type,
        period_start,
        'P4',
        'cycle_length',
        null,
        median_cycle_days,  -- P4
        won_deals,
        1.2533 * cycle_days_stddev / sqrt(won_deals)
    from close_stats
    where won_deals > 0

    union all

    -- deals created x win rate x average won amount / cycle length: won value per day
    select
        close_stats.rep_id,
        close_stats.period_type,
        close_stats.period_start,
        'P6',
        'sales_velocity',
        null,
        -- P6
        coalesce(creations.created_deals, 0)
        * (close_stats.won_deals / nullif(close_stats.closed_deals, 0))
        * close_stats.average_won_amount
        / nullif(close_stats.median_cycle_days, 0),
        close_stats.closed_deals,
        -- relative error of a product: deals created and deals won are Poisson counts,
        -- and the won deals also carry the amount and cycle estimates
        coalesce(creations.created_deals, 0)
        * (close_stats.won_deals / nullif(close_stats.closed_deals, 0))
        * close_stats.average_won_amount
        / nullif(close_stats.median_cycle_days, 0)
        * sqrt(
            2.0 / greatest(close_stats.won_deals, 1)
            + 1.0 / greatest(coalesce(creations.created_deals, 0), 1)
        )
    from close_stats
    left join creations
        on
            close_stats.rep_id = creations.rep_id
            and close_stats.period_type = creations.period_type
            and close_stats.period_start = creations.period_start

    union all

    select
        bookings.rep_id,
        bookings.period_type,
        bookings.period_start,
        'P7',
        'ramp',
        null,
        bookings.won_amount / nullif(tenured_bookings.tenured_median_bookings, 0),  -- P7
        bookings.closed_deals,
        -- bookings: a Poisson number of won deals (at least one, so that no wins is
        -- not known exactly) of about the rep's average deal size
        sqrt(2.0 * greatest(bookings.won_deals, 1)) * bookings.average_closed_amount
        / nullif(tenured_bookings.tenured_median_bookings, 0)
    from bookings
    left join tenured_bookings
        on
            bookings.period_type = tenured_bookings.period_type
            and bookings.period_start = tenured_bookings.period_start
    where bookings.tenure_months < {{ var('ramp_months') | int }} and bookings.tenure_months >= 0
),

final as (
    {{ rep_skill_rows('skills') }}
)

select * from final
