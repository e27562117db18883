{#- HubSpot deals in the canonical deals shape (int_deals' source branch). -#}
with deals as (
    select * from {{ ref('stg_hubspot__deals') }}
),

stages as (
    select * from {{ ref('stg_hubspot__deal_stages') }}
),

user_owners as (
    select * from {{ ref('int_hubspot__owner_user_ids') }}
),

rates as (
    select * from {{ ref('int_hubspot__deal_conversion_rates') }}
),

final as (
    select
        deals.deal_id,
        'hubspot' as source,
        deals.pipeline_id as pipeline,
        deals.deal_name as name,
        -- companies are not synced
        cast(null as string) as account_id,
        deals.owner_id,
        -- an id no pipeline knows stays as it is (stage_order is then null)
        coalesce(stages.stage_label, deals.stage_id) as stage,
        -- in the home currency, as the portal computed it
        case
            when deals.currency_code is null then deals.amount
            else deals.amount_in_home_currency
        end as amount,
        deals.amount as amount_original,
        deals.currency_code,
        rates.conversion_rate,
        {{ crm_date('deals.close_at') }} as close_date,
        deals.close_at_text as close_date_text,
        deals.stage_probability * 100 as probability,
        {{ hubspot_forecast_category('deals.forecast_category') }} as forecast_category,
        deals.next_step,
        deals.is_closed,
        deals.is_closed_won as is_won,
        coalesce(deals.is_archived, false) as is_deleted,
        deals.created_at,
        user_owners.owner_id as created_by,
        {{ local_date('deals.last_activity_at') }} as last_activity_date
    from deals
    left join stages
        on deals.pipeline_id = stages.pipeline_id and deals.stage_id = stages.stage_id
    left join user_owners
        on deals.created_by_user_id = user_owners.user_id
    left join rates
        on deals.deal_id = rates.deal_id
)

select * from final
