with source as (
    select * from {{ source('raw_salesforce', 'task') }}
),

renamed as (
    select
        id as task_id,
        whatid as what_id,
        whoid as who_id,
        ownerid as owner_id,
        createdbyid as created_by_id,
        subject as subject,
        status as status,
        type as task_type,
        tasksubtype as task_subtype,
        isclosed as is_closed,
        isdeleted as is_deleted,
        {{ salesforce_date('activitydate') }} as activity_date,
        -- as sent: a value that does not parse is quarantined with it
        activitydate as activity_date_text,
        {{ salesforce_datetime('createddate') }} as created_at,
        {{ salesforce_datetime('systemmodstamp') }} as system_modstamp,
        _loaded_at as _loaded_at
    from source
)

select * from renamed
