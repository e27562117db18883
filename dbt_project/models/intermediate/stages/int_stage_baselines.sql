{{ config(materialized='table') }}

with deals as (
    select * from {{ ref('int_deals_as_of') }}
),

stage_periods as (
    select * from {{ ref('int_deal_stage_periods') }}
),

closed_deals as (
    select
        deals.deal_id,
        deals.is_won,
        -- closed on the day it entered its closing stage; close date if that is unknown
        coalesce(stage_periods.entered_on, deals.close_date) as closed_on
    from deals
    left join stage_periods
        on
            deals.deal_id = stage_periods.deal_id
            and stage_periods.is_current
    where deals.is_closed
),

-- Days each closed deal spent in each stage it left (summed over repeat stays).
closed_stage_days as (
    select
        stage_periods.source,
        stage_periods.pipeline,
        stage_periods.stage,
        stage_periods.deal_id,
        closed_deals.is_won,
        closed_deals.closed_on,
        sum(stage_periods.days_in_stage) as days_in_stage
    from stage_periods
    inner join closed_deals
        on stage_periods.deal_id = closed_deals.deal_id
    where not stage_periods.is_current
    group by all
),

per_stage as (
    select
        source,
        pipeline,
        stage,
        count(*) filter (where is_won and is_recent) as recent_won_deals,
        {{ percentile_cont('case when is_won and is_recent then days_in_stage end', 0.5) }}
            as recent_won_median_days,
        count(*) as closed_deals,
        {{ percentile_cont('days_in_stage', 0.5) }} as closed_median_days
    from (
        select
            *,
            closed_on > {{ as_of_date() }} - {{ var('stuck_baseline_days') | int }} as is_recent
        from closed_stage_days
    )
    group by all
),

final as (
    select
        source,
        pipeline,
        stage,
        cast(recent_won_deals as integer) as recent_won_deals,
        cast(closed_deals as integer) as closed_deals,
        recent_won_deals >= {{ var('stuck_baseline_min_deals') | int }} as is_won_baseline,
        cast(
            case
                when recent_won_deals >= {{ var('stuck_baseline_min_deals') | int }}
                    then recent_won_median_days
                else closed_median_days
            end as double
        ) as baseline_days
    from per_stage
)

select * from final
