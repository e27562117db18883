{{ config(materialized='ephemeral') }}

{#- Org-wide values of the pipeline-hygiene metrics H1-H12 on as_of, rolled up from
    fct_deals (open deals), the stage transitions (H9, trailing window) and the
    quarter states (H10). Part of int_metric_org_values. -#}

with deals as (
    select * from {{ ref('fct_deals') }}
),

open_deals as (
    select * from deals
    where not is_closed
),

trailing_start as (
    select cast({{ as_of_date() }} - {{ var('trailing_days') | int }} + 1 as date) as day
),

hygiene as (
    select 'H1' as metric_id, count(*) filter (where is_stale) / nullif(count(*), 0) as org_value
    from open_deals
    union all
    select 'H2', count(*) filter (where is_past_due) / nullif(count(*), 0) from open_deals
    union all
    select 'H3', count(*) filter (where is_slipping) / nullif(count(*), 0) from open_deals
    union all
    select 'H4', count(*) filter (where is_stuck) / nullif(count(is_stuck), 0) from open_deals
    union all
    select 'H5', count(*) filter (where is_missing_next_step) / nullif(count(*), 0) from open_deals
    union all
    select 'H6', count(*) filter (where is_complete) / nullif(count(*), 0) from open_deals
    union all
    select 'H7', count(*) filter (where is_single_threaded) / nullif(count(is_single_threaded), 0)
    from open_deals
    union all
    select 'H8', count(*) filter (where has_stage_regression) / nullif(count(*), 0) from open_deals
    union all
    select
        'H9',
        count(*) filter (where is_skip) / nullif(count(*) filter (where is_forward), 0)
    from {{ ref('int_stage_transitions') }}
    where changed_on >= (select day from trailing_start)
    union all
    select
        'H10',
        coalesce({{ exact_sum('greatest(start_amount, 0)', 'has_slipped') }}, 0)
        / nullif({{ exact_sum('greatest(start_amount, 0)') }}, 0)
    from {{ ref('int_deal_quarter_states') }}
    where quarter_start = {{ fiscal_quarter_start(as_of_date()) }} and was_due_in_quarter
    union all
    select
        'H11',
        coalesce({{ exact_sum('amount', 'is_stale_value') }}, 0)
        / nullif({{ exact_sum('amount') }}, 0)
    from open_deals
    union all
    select
        'H12',
        coalesce({{ exact_sum('amount', 'is_owner_inactive') }}, 0)
        / nullif({{ exact_sum('amount') }}, 0)
    from open_deals
),

final as (
    select
        metric_id,
        cast(org_value as double) as org_value,
        cast(null as double) as threshold_value,
        cast(null as string) as note
    from hygiene
)

select * from final
