with all_stages as (
    select
        source, pipeline, stage, stage_label, sort_order, is_active, is_closed, is_won,
        default_probability, forecast_category
    from {{ ref('int_salesforce__stages') }}
    union all
    select
        source, pipeline, stage, stage_label, sort_order, is_active, is_closed, is_won,
        default_probability, forecast_category
    from {{ ref('int_hubspot__stages') }}
),

ordered as (
    select
        *,
        -- open stages first, numbered 1..n in pipeline order, then the closed stages
        cast(row_number() over (
            partition by source, pipeline
            order by is_closed, sort_order nulls last, stage
        ) as integer) as stage_order,
        count(*) filter (where not is_closed) over (partition by source, pipeline) as open_stages
    from all_stages
),

final as (
    select
        source,
        pipeline,
        stage,
        stage_label,
        stage_order,
        -- the funnel: open stages 1..n, won n + 1 (wherever the CRM sorts it), lost off it
        cast(
            case
                when not is_closed then stage_order
                when is_won then open_stages + 1
            end as integer
        ) as funnel_order,
        is_active,
        is_closed,
        is_won,
        default_probability,
        forecast_category
    from ordered
)

select * from final
