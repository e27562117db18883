{{ config(materialized='ephemeral') }}

{#- Salesforce opportunities in the canonical deals shape (int_deals' source branch). -#}
with opportunities as (
    select * from {{ ref('stg_salesforce__opportunities') }}
),

rates as (
    select * from {{ ref('int_salesforce__deal_conversion_rates') }}
),

final as (
    select
        opportunity_id as deal_id,
        'salesforce' as source,
        'default' as pipeline,
        opportunity_name as name,
        account_id,
        owner_id,
        stage_name as stage,
        -- in the corporate currency (null when the deal's currency has no rate)
        opportunities.amount / rates.conversion_rate as amount,
        opportunities.amount as amount_original,
        opportunities.currency_code,
        rates.conversion_rate,
        close_date,
        close_date_text,
        probability,
        forecast_category_name as forecast_category,
        next_step,
        is_closed,
        is_won,
        coalesce(is_deleted, false) as is_deleted,
        created_at,
        created_by_id as created_by,
        last_activity_date
    from opportunities
    left join rates
        on opportunities.opportunity_id = rates.deal_id
)

select * from final
