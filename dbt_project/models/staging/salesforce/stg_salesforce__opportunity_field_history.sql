with source as (
    select * from {{ source('raw_salesforce', 'opportunity_field_history') }}
),

renamed as (
    select
        id as opportunity_field_history_id,
        opportunityid as opportunity_id,
        createdbyid as created_by_id,
        field as field,
        datatype as data_type,
        oldvalue as old_value,
        newvalue as new_value,
        isdeleted as is_deleted,
        {{ salesforce_datetime('createddate') }} as created_at,
        _loaded_at as _loaded_at
    from source
)

select * from renamed
