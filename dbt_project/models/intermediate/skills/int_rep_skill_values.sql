{{ config(materialized='table') }}

{#- P1-P8 per rep, period and skill, with the number of deals behind each value.
    Periods are fiscal quarters (up to as_of) and the trailing var trailing_days
    (365) days. Stage work is credited to the owner when the deal entered the
    stage, outcomes to the owner at close, new deals to the owner at creation,
    commitments to the owner at the quarter's start. -#}

with quarters as (
    select * from {{ ref('int_fiscal_quarters') }}
),

periods as (
    select
        'quarter' as period_type,
        quarter_start as period_start,
        period_end,
        quarter_label as period_label
    from quarters

    union all

    select
        'trailing' as period_type,
        cast({{ as_of_date() }} - {{ var('trailing_days') | int }} + 1 as date) as period_start,
        {{ as_of_date() }} as period_end,
        'trailing {{ var("trailing_days") | int }}d' as period_label
),

users as (
    select * from {{ ref('int_users') }}
),

stage_entries as (
    select
        periods.period_type,
        periods.period_start,
        stage_entries.*
    from {{ ref('int_stage_entries') }} as stage_entries
    inner join periods
        on stage_entries.entered_on between periods.period_start and periods.period_end
    where stage_entries.owner_id is not null
),

closes as (
    select
        periods.period_type,
        periods.period_start,
        outcomes.*
    from {{ ref('int_deal_outcomes') }} as outcomes
    inner join periods
        on outcomes.closed_on between periods.period_start and periods.period_end
    where outcomes.is_closed and outcomes.close_owner_id is not null
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

deal_activities as (
    select
        deal_id,
        acted_at
    from {{ ref('int_deal_actions') }}
    where action_type = 'activity'
),

activities_in_period as (
    select
        periods.period_type,
        periods.period_start,
        actions.owner_id as rep_id,
        count(*) as activities
    from {{ ref('int_deal_actions') }} as actions
    inner join periods
        on actions.acted_on between periods.period_start and periods.period_end
    where actions.action_type = 'activity' and actions.owner_id is not null
    group by all
),

advances_in_period as (
    select
        periods.period_type,
        periods.period_start,
        transitions.owner_id as rep_id,
        count(*) as advances,
        count(distinct transitions.deal_id) as advanced_deals
    from {{ ref('int_stage_transitions') }} as transitions
    inner join periods
        on transitions.changed_on between periods.period_start and periods.period_end
    where transitions.is_forward and transitions.owner_id is not null
    group by all
),

won_deal_activities as (
    select
        outcomes.deal_id,
        count(deal_activities.deal_id) as activities
    from {{ ref('int_deal_outcomes') }} as outcomes
    left join deal_activities
        on
            outcomes.deal_id = deal_activities.deal_id
            and outcomes.closed_at >= deal_activities.acted_at
    where outcomes.is_won
    group by outcomes.deal_id
),

-- P1, P2 per stage
stage_skills as (
    select
        owner_id as rep_id,
        period_type,
        period_start,
        'P1' as metric_id,
        'stage_conversion' as metric_name,
        stage,
        -- P1: stage entries advanced / resolved
        count(*) filter (where has_advanced) / nullif(count(*) filter (where is_resolved), 0)
            as value,
        count(*) filter (where is_resolved) as deals,
        {{ share_standard_error(
            'count(*) filter (where has_advanced) / nullif(count(*) filter (where is_resolved), 0)',
            'count(*) filter (where is_resolved)'
        ) }} as standard_error
    from stage_entries
    group by all

    union all

    select
        owner_id as rep_id,
        period_type,
        period_start,
        'P2' as metric_id,
        'stage_velocity' as metric_name,
        stage,
        median(days_in_stage::double) as value,  -- P2
        count(days_in_stage) as deals,
        -- standard error of a median: 1.2533 x that of the mean
        1.2533 * {{ exact_stddev('days_in_stage') }} / sqrt(count(days_in_stage))
            as standard_error
    from stage_entries
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
        coalesce({{ exact_sum('greatest(amount, 0)') }}, 0) ^ 2
        / nullif({{ exact_sum_of_squares('greatest(amount, 0)') }}, 0) as closed_amount_deals,
        median(cycle_days::double) filter (where is_won) as median_cycle_days,
        {{ exact_stddev('case when is_won then cycle_days end') }} as cycle_days_stddev
    from closes
    group by all
),

won_activity_stats as (
    select
        closes.close_owner_id as rep_id,
        closes.period_type,
        closes.period_start,
        avg(won_deal_activities.activities) as activities_per_won_deal,
        {{ exact_stddev('won_deal_activities.activities') }} as activities_stddev,
        count(*) as won_deals
    from closes
    inner join won_deal_activities
        on closes.deal_id = won_deal_activities.deal_id
    where closes.is_won
    group by all
),

commitments as (
    select
        periods.period_type,
        periods.period_start,
        states.start_owner_id as rep_id,
        count(*) as committed_deals,
        {{ exact_sum('greatest(states.start_amount, 0)') }} as committed_amount,
        {{ exact_sum('greatest(states.start_amount, 0)', 'states.is_won_in_quarter') }}
            as won_committed_amount,
        coalesce({{ exact_sum('greatest(states.start_amount, 0)') }}, 0) ^ 2
        / nullif({{ exact_sum_of_squares('greatest(states.start_amount, 0)') }}, 0)
            as committed_amount_deals
    from {{ ref('int_deal_quarter_states') }} as states
    inner join periods
        on
            states.quarter_start between periods.period_start and periods.period_end
            -- the current quarter's commitments are judged only once it has ended
            and states.quarter_end <= {{ as_of_date() }}
    where states.was_committed and states.was_due_in_quarter and states.start_owner_id is not null
    group by all
),

tenure as (
    select
        users.user_id as rep_id,
        periods.period_type,
        periods.period_start,
        date_diff('month', {{ local_date('users.created_at') }}, periods.period_start)
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
        median(won_amount) as tenured_median_bookings
    from bookings
    where tenure_months >= {{ var('ramp_months') | int }} and closed_deals > 0
    group by all
),

rep_skills as (
    select
        close_stats.rep_id,
        close_stats.period_type,
        close_stats.period_start,
        'P3' as metric_id,
        'win_rate_count' as metric_name,
        null as stage,
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

    select
        activities_in_period.rep_id,
        activities_in_period.period_type,
        activities_in_period.period_start,
        'P5',
        'activities_per_advance',
        null,
        activities_in_period.activities / nullif(advances_in_period.advances, 0),  -- P5
        coalesce(advances_in_period.advanced_deals, 0),
        -- activities counted as a Poisson number
        sqrt(activities_in_period.activities) / nullif(advances_in_period.advances, 0)
    from activities_in_period
    left join advances_in_period
        on
            activities_in_period.rep_id = advances_in_period.rep_id
            and activities_in_period.period_type = advances_in_period.period_type
            and activities_in_period.period_start = advances_in_period.period_start

    union all

    select
        rep_id,
        period_type,
        period_start,
        'P5',
        'activities_per_won_deal',
        null,
        activities_per_won_deal,  -- P5 per won deal
        won_deals,
        activities_stddev / sqrt(won_deals)
    from won_activity_stats

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

    union all

    select
        rep_id,
        period_type,
        period_start,
        'P8',
        'commit_accuracy',
        null,
        coalesce(won_committed_amount, 0) / nullif(committed_amount, 0),  -- P8
        committed_deals,
        {{ share_standard_error(
            'coalesce(won_committed_amount, 0) / nullif(committed_amount, 0)',
            'committed_amount_deals'
        ) }}
    from commitments
),

all_skills as (
    select * from stage_skills
    union all
    select * from rep_skills
),

final as (
    select
        all_skills.rep_id,
        all_skills.period_type,
        all_skills.period_start,
        periods.period_end,
        periods.period_label,
        all_skills.metric_id,
        all_skills.metric_name,
        all_skills.stage,
        all_skills.metric_name || coalesce(':' || all_skills.stage, '') as skill,
        cast(all_skills.value as double) as value,
        cast(all_skills.deals as integer) as deals,
        cast(all_skills.standard_error as double) as standard_error
    from all_skills
    inner join periods
        on
            all_skills.period_type = periods.period_type
            and all_skills.period_start = periods.period_start
)

select * from final
