with source as (
    select * from {{ source('raw_salesforce', 'account') }}
),

renamed as (
    select
        id as account_id,
        ownerid as owner_id,
        name as account_name,
        isdeleted as is_deleted,
        {{ salesforce_datetime('createddate') }} as created_at,
        {{ salesforce_datetime('systemmodstamp') }} as system_modstamp,
        _loaded_at as _loaded_at
    from source
)

select * from renamed
