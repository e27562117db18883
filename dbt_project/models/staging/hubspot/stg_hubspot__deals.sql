with source as (
    select * from {{ hubspot_source('deals') }}
),

renamed as (
    select
        id as deal_id,
        dealname as deal_name,
        pipeline as pipeline_id,
        dealstage as stage_id,
        hubspot_owner_id as owner_id,
        hs_created_by_user_id as created_by_user_id,
        hs_next_step as next_step,
        hs_manual_forecast_category as forecast_category,
        try_cast(amount as double) as amount,
        -- multi-currency portals: the deal's currency and the portal-computed amount
        -- in the home (company) currency
        deal_currency_code as currency_code,
        try_cast(amount_in_home_currency as double) as amount_in_home_currency,
        try_cast(hs_deal_stage_probability as double) as stage_probability,
        {{ hubspot_boolean('hs_is_closed') }} as is_closed,
        {{ hubspot_boolean('hs_is_closed_won') }} as is_closed_won,
        archived as is_archived,
        {{ hubspot_timestamp('closedate') }} as close_at,
        -- as sent: a value that does not parse is quarantined with it
        closedate as close_at_text,
        {{ hubspot_timestamp('notes_last_updated') }} as last_activity_at,
        coalesce({{ hubspot_timestamp('createdate') }}, {{ hubspot_timestamp('createdat') }})
            as created_at,
        {{ hubspot_timestamp('hs_lastmodifieddate') }} as modified_at,
        {{ hubspot_timestamp('archivedat') }} as archived_at,
        _loaded_at
    from source
)

select * from renamed
