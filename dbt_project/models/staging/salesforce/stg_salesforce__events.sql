with source as (
    select * from {{ source('raw_salesforce', 'event') }}
),

renamed as (
    select
        id as event_id,
        whatid as what_id,
        whoid as who_id,
        ownerid as owner_id,
        createdbyid as created_by_id,
        subject as subject,
        type as event_type,
        eventsubtype as event_subtype,
        isdeleted as is_deleted,
        {{ salesforce_datetime('activitydatetime') }} as activity_at,
        {{ salesforce_datetime('createddate') }} as created_at,
        {{ salesforce_datetime('systemmodstamp') }} as system_modstamp,
        _loaded_at as _loaded_at
    from source
)

select * from renamed
