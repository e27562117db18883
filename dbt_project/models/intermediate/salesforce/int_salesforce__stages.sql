{{ config(materialized='ephemeral') }}

{#- Salesforce opportunity stages in the canonical stages shape (int_stages'
    source branch). The canonical stage is the picklist value (API name). -#}
with stages as (
    select * from {{ ref('stg_salesforce__opportunity_stages') }}
),

final as (
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
)

select * from final
