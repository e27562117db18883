with source as (
    select * from {{ hubspot_source('meetings') }}
),

renamed as (
    select
        id as meeting_id,
        hubspot_owner_id as owner_id,
        hs_created_by_user_id as created_by_user_id,
        hs_meeting_title as title,
        hs_meeting_outcome as outcome,
        archived as is_archived,
        {{ hubspot_timestamp('hs_timestamp') }} as occurred_at,
        {{ hubspot_timestamp('hs_meeting_start_time') }} as start_at,
        {{ hubspot_timestamp('hs_meeting_end_time') }} as end_at,
        coalesce({{ hubspot_timestamp('hs_createdate') }}, {{ hubspot_timestamp('createdat') }})
            as created_at,
        {{ hubspot_timestamp('hs_lastmodifieddate') }} as modified_at,
        {{ hubspot_timestamp('archivedat') }} as archived_at,
        _loaded_at
    from source
)

select * from renamed
