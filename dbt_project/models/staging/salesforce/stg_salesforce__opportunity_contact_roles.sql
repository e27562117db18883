with source as (
    select * from {{ source('raw_salesforce', 'opportunity_contact_role') }}
),

renamed as (
    select
        id as opportunity_contact_role_id,
        opportunityid as opportunity_id,
        contactid as contact_id,
        role as contact_role,
        isprimary as is_primary,
        isdeleted as is_deleted,
        {{ salesforce_datetime('createddate') }} as created_at,
        {{ salesforce_datetime('systemmodstamp') }} as system_modstamp,
        _loaded_at as _loaded_at
    from source
)

select * from renamed
