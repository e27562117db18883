with source as (
    select * from {{ hubspot_source('deal_stages') }}
),

renamed as (
    select
        id as deal_stage_key,
        pipeline_id,
        pipeline_label,
        pipeline_display_order,
        pipeline_archived as is_pipeline_archived,
        stage_id,
        label as stage_label,
        display_order,
        {{ hubspot_boolean('metadata_is_closed') }} as is_closed,
        try_cast(metadata_probability as double) as probability,
        archived as is_archived,
        {{ hubspot_timestamp('createdat') }} as created_at,
        {{ hubspot_timestamp('updatedat') }} as updated_at,
        _loaded_at
    from source
)

select * from renamed
