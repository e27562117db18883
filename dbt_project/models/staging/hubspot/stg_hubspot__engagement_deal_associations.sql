with source as (
    select * from {{ hubspot_source('engagement_deal_associations') }}
),

renamed as (
    select
        engagement_id,
        engagement_type,
        deal_ids,
        _loaded_at
    from source
)

select * from renamed
