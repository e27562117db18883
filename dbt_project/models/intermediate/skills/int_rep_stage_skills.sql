{{ config(materialized='ephemeral') }}

{#- P1 stage conversion and P2 stage velocity per rep, period and stage, with the
    deals behind each value and its standard error (int_rep_skill_values unions
    every skill family). Stage work is credited to the owner when the deal entered
    the stage. -#}

with periods as (
    {{ skill_periods() }}
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

skills as (
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
        {{ percentile_cont('cast(days_in_stage as double)', 0.5) }} as value,  -- P2
        count(days_in_stage) as deals,
        -- standard error of a median: 1.2533 x that of the mean
        1.2533 * {{ exact_stddev('days_in_stage') }} / sqrt(count(days_in_stage))
            as standard_error
    from stage_entries
    group by all
),

final as (
    {{ rep_skill_rows('skills') }}
)

select * from final
