with source as (
    select * from {{ source('raw_salesforce', 'opportunity_stage') }}
),

renamed as (
    select
        id as opportunity_stage_id,
        apiname as api_name,
        masterlabel as master_label,
        forecastcategoryname as forecast_category_name,
        sortorder as sort_order,
        defaultprobability as default_probability,
        isactive as is_active,
        isclosed as is_closed,
        iswon as is_won,
        {{ salesforce_datetime('systemmodstamp') }} as system_modstamp,
        _loaded_at as _loaded_at
    from source
)

select * from renamed
