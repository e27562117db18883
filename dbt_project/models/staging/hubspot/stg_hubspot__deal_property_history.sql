with source as (
    select * from {{ hubspot_source('deal_property_history') }}
),

renamed as (
    select
        id as history_id,
        deal_id,
        property,
        -- HubSpot records a cleared value as an empty string
        nullif(value, '') as value,
        source_type,
        source_id,
        updated_by_user_id,
        {{ hubspot_timestamp('timestamp') }} as changed_at,
        _loaded_at
    from source
)

select * from renamed
