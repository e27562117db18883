{#- HubSpot deal pipeline stages in the canonical stages shape (int_stages'
    source branch). The canonical stage is the stage's label, as Salesforce's is
    its picklist value; deals and history name stages by id and are mapped. -#}
with stages as (
    select * from {{ ref('stg_hubspot__deal_stages') }}
),

final as (
    select
        'hubspot' as source,
        pipeline_id as pipeline,
        coalesce(stage_label, stage_id) as stage,
        stage_label,
        cast(display_order as double) as sort_order,
        not coalesce(is_archived, false) and not coalesce(is_pipeline_archived, false) as is_active,
        coalesce(is_closed, false) as is_closed,
        -- HubSpot marks won stages by a closed stage with probability 1
        coalesce(is_closed and probability >= 1.0, false) as is_won,
        probability * 100 as default_probability,
        -- HubSpot stages have no forecast category
        cast(null as string) as forecast_category
    from stages
)

select * from final
