with source as (
    select * from {{ hubspot_source('deal_contact_associations') }}
),

renamed as (
    select
        deal_id,
        -- [{id, label}]: one entry per associated contact, label when one is set
        contacts,
        _loaded_at
    from source
)

select * from renamed
