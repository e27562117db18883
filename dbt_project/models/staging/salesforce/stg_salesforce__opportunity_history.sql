with source as (
    select * from {{ source('raw_salesforce', 'opportunity_history') }}
),

renamed as (
    select
        id as opportunity_history_id,
        opportunityid as opportunity_id,
        createdbyid as created_by_id,
        stagename as stage_name,
        forecastcategory as forecast_category,
        amount as amount,
        prevamount as previous_amount,
        isdeleted as is_deleted,
        {{ salesforce_date('closedate') }} as close_date,
        {{ salesforce_date('prevclosedate') }} as previous_close_date,
        {{ salesforce_datetime('createddate') }} as created_at,
        {{ salesforce_datetime('systemmodstamp') }} as system_modstamp,
        _loaded_at as _loaded_at
    from source
)

select * from renamed
