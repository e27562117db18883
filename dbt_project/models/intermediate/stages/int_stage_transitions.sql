{{ config(materialized='table') }}

{#- Every stage change of a live deal up to as_of, placed on the funnel (open stages
    1..n, won n + 1, lost off the funnel), with the owner at the time. -#}

with deals as (
    select * from {{ ref('int_deals_as_of') }}
),

stages as (
    select * from {{ ref('int_stages') }}
),

owner_periods as (
    select * from {{ ref('int_deal_field_periods') }}
    where field = 'owner'
),

stage_changes as (
    select * from {{ ref('int_deal_changes') }}
    where
        field = 'stage'
        and changed_on <= {{ as_of_date() }}
),

placed as (
    select
        stage_changes.change_id as transition_id,
        deals.source,
        deals.pipeline,
        stage_changes.deal_id,
        stage_changes.old_value as from_stage,
        stage_changes.new_value as to_stage,
        from_stages.stage_order as from_stage_order,
        to_stages.stage_order as to_stage_order,
        from_stages.funnel_order as from_funnel_order,
        to_stages.funnel_order as to_funnel_order,
        coalesce(to_stages.is_closed, false) as to_closed,
        coalesce(to_stages.is_won, false) as to_won,
        stage_changes.changed_by,
        stage_changes.changed_at,
        stage_changes.changed_on
    from stage_changes
    inner join deals
        on stage_changes.deal_id = deals.deal_id
    left join stages as from_stages
        on
            deals.source = from_stages.source
            and deals.pipeline = from_stages.pipeline
            and stage_changes.old_value = from_stages.stage
    left join stages as to_stages
        on
            deals.source = to_stages.source
            and deals.pipeline = to_stages.pipeline
            and stage_changes.new_value = to_stages.stage
),

final as (
    select
        placed.transition_id,
        placed.source,
        placed.pipeline,
        placed.deal_id,
        placed.from_stage,
        placed.to_stage,
        placed.from_stage_order,
        placed.to_stage_order,
        placed.from_funnel_order,
        placed.to_funnel_order,
        placed.changed_by,
        placed.changed_at,
        placed.changed_on,
        owner_periods.value as owner_id,
        -- forward: up the funnel between known stages (moves to a lost stage are not)
        coalesce(placed.to_funnel_order > placed.from_funnel_order, false) as is_forward,
        -- a skip jumps over at least one open stage (2 -> 4, or 3 -> won with 5 open stages)
        coalesce(placed.to_funnel_order - placed.from_funnel_order > 1, false) as is_skip,
        cast(
            case
                when placed.to_funnel_order > placed.from_funnel_order
                    then placed.to_funnel_order - placed.from_funnel_order - 1
            end as integer
        ) as stages_skipped,
        -- back into an earlier open stage, including reopening a closed deal
        coalesce(
            not placed.to_closed and placed.to_stage_order < placed.from_stage_order, false
        ) as is_regression
    from placed
    left join owner_periods
        on
            placed.deal_id = owner_periods.deal_id
            and placed.changed_at >= coalesce(owner_periods.valid_from, {{ timestamp_min() }})
            and placed.changed_at < coalesce(owner_periods.valid_to, {{ timestamp_max() }})
)

select * from final
