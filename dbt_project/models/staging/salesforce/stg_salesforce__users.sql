with source as (
    select * from {{ source('raw_salesforce', 'user') }}
),

renamed as (
    select
        id as user_id,
        managerid as manager_id,
        userroleid as user_role_id,
        name as user_name,
        email as email,
        title as title,
        isactive as is_active,
        {{ salesforce_datetime('createddate') }} as created_at,
        {{ salesforce_datetime('systemmodstamp') }} as system_modstamp,
        _loaded_at as _loaded_at
    from source
)

select * from renamed
