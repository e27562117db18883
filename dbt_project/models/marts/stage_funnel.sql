{#- P1/P2 for the whole org: per pipeline, open stage and fiscal quarter of entry,
    the deals that entered the stage, how many have moved further up the funnel,
    and the median days they spent there. Every open stage has a row in every
    quarter, with zeros when no deal entered it. -#}

with stages as (
    select * from {{ ref('int_stages') }}
    where not is_closed
),

quarters as (
    select * from {{ ref('int_fiscal_quarters') }}
),

entries as (
    select * from {{ ref('int_stage_entries') }}
),

per_stage_quarter as (
    select
        source,
        pipeline,
        stage,
        entered_quarter_start as quarter_start,
        count(*) as entered,
        count(*) filter (where has_advanced) as advanced,
        count(*) filter (where is_resolved) as resolved,
        count(*) filter (where is_in_stage and not has_advanced) as still_in_stage,
        {{ percentile_cont('cast(days_in_stage as double)', 0.5) }} as median_days_in_stage
    from entries
    group by all
),

final as (
    select
        stages.source,
        stages.pipeline,
        stages.stage,
        stages.stage_order,
        quarters.quarter_start,
        quarters.quarter_end,
        quarters.quarter_label,
        {{ as_of_date() }} as as_of,
        cast(coalesce(per_stage_quarter.entered, 0) as integer) as entered,
        cast(coalesce(per_stage_quarter.advanced, 0) as integer) as advanced,
        cast(coalesce(per_stage_quarter.resolved, 0) as integer) as resolved,
        cast(coalesce(per_stage_quarter.still_in_stage, 0) as integer) as still_in_stage,
        per_stage_quarter.advanced / nullif(per_stage_quarter.resolved, 0) as conversion,
        per_stage_quarter.median_days_in_stage
    from stages
    cross join quarters
    left join per_stage_quarter
        on
            stages.source = per_stage_quarter.source
            and stages.pipeline = per_stage_quarter.pipeline
            and stages.stage = per_stage_quarter.stage
            and quarters.quarter_start = per_stage_quarter.quarter_start
)

select * from final
