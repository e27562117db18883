{{ config(materialized='ephemeral') }}

{#- P5 activities per stage advance and per won deal, per rep and period, with the
    deals behind each value and its standard error (int_rep_skill_values unions
    every skill family). Activities are credited to the deal's owner when logged,
    won deals to the owner at close. -#}

with periods as (
    {{ skill_periods() }}
),

closes as (
    {{ skill_period_closes() }}
),

deal_activities as (
    select
        deal_id,
        acted_at
    from {{ ref('int_deal_actions') }}
    where action_type = 'activity'
),

-- counted per rep and day before the range join to periods: it then matches each
-- rep-day once per period, not each of 6.3M activities (L)
rep_day_activities as (
    select
        owner_id as rep_id,
        acted_on,
        count(*) as activities
    from {{ ref('int_deal_actions') }}
    where action_type = 'activity' and owner_id is not null
    group by owner_id, acted_on
),

activities_in_period as (
    select
        periods.period_type,
        periods.period_start,
        rep_day_activities.rep_id,
        cast(sum(rep_day_activities.activities) as bigint) as activities
    from rep_day_activities
    inner join periods
        on rep_day_activities.acted_on between periods.period_start and periods.period_end
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

skills as (
    select
        activities_in_period.rep_id as rep_id,
        activities_in_period.period_type as period_type,
        activities_in_period.period_start as period_start,
        'P5' as metric_id,
        'activities_per_advance' as metric_name,
        cast(null as string) as stage,
        -- P5
        activities_in_period.activities / nullif(advances_in_period.advances, 0) as value,
        coalesce(advances_in_period.advanced_deals, 0) as deals,
        -- activities counted as a Poisson number
        sqrt(activities_in_period.activities) / nullif(advances_in_period.advances, 0)
            as standard_error
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
),

final as (
    {{ rep_skill_rows('skills') }}
)

select * from final
