with source as (
    select * from {{ source('raw_salesforce', 'user_role') }}
),

renamed as (
    select
        id as user_role_id,
        parentroleid as parent_role_id,
        name as role_name,
        {{ salesforce_datetime('systemmodstamp') }} as system_modstamp,
        _loaded_at as _loaded_at
    from source
)

select * from renamed
