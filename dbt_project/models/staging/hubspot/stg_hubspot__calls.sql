with source as (
    select * from {{ hubspot_source('calls') }}
),

renamed as (
    select
        id as call_id,
        hubspot_owner_id as owner_id,
        hs_created_by_user_id as created_by_user_id,
        hs_call_title as title,
        hs_call_status as status,
        hs_call_direction as direction,
        hs_call_disposition as disposition,
        try_cast(hs_call_duration as bigint) as duration_ms,
        archived as is_archived,
        {{ hubspot_timestamp('hs_timestamp') }} as occurred_at,
        coalesce({{ hubspot_timestamp('hs_createdate') }}, {{ hubspot_timestamp('createdat') }})
            as created_at,
        {{ hubspot_timestamp('hs_lastmodifieddate') }} as modified_at,
        {{ hubspot_timestamp('archivedat') }} as archived_at,
        _loaded_at
    from source
)

select * from renamed
