with stages as (
    select * from {{ ref('stg_salesforce__opportunity_stages') }}
),

salesforce_stages as (
    select
        'salesforce' as source,
        -- Salesforce has one opportunity pipeline (sales processes share the picklist).
        'default' as pipeline,
        coalesce(api_name, master_label) as stage,
        master_label as stage_label,
        sort_order,
        coalesce(is_active, true) as is_active,
        coalesce(is_closed, false) as is_closed,
        coalesce(is_won, false) as is_won,
        default_probability,
        forecast_category_name as forecast_category
    from stages
),

final as (
    select
        source,
        pipeline,
        stage,
        stage_label,
        -- open stages first, numbered 1..n in pipeline order, then the closed stages
        cast(row_number() over (
            partition by source, pipeline
            order by is_closed, sort_order nulls last, stage
        ) as integer) as stage_order,
        is_active,
        is_closed,
        is_won,
        default_probability,
        forecast_category
    from salesforce_stages
)

select * from final
