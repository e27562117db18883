with source as (
    select * from {{ hubspot_source('notes') }}
),

renamed as (
    select
        id as note_id,
        hubspot_owner_id as owner_id,
        hs_created_by_user_id as created_by_user_id,
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
