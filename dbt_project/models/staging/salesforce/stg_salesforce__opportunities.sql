with source as (
    select * from {{ source('raw_salesforce', 'opportunity') }}
),

renamed as (
    select
        id as opportunity_id,
        accountid as account_id,
        ownerid as owner_id,
        createdbyid as created_by_id,
        lastmodifiedbyid as last_modified_by_id,
        name as opportunity_name,
        stagename as stage_name,
        forecastcategoryname as forecast_category_name,
        nextstep as next_step,
        amount as amount,
        -- null in a single-currency org (no such field)
        currencyisocode as currency_code,
        probability as probability,
        isclosed as is_closed,
        iswon as is_won,
        isdeleted as is_deleted,
        {{ salesforce_date('closedate') }} as close_date,
        -- as sent: a value that does not parse is quarantined with it
        closedate as close_date_text,
        {{ salesforce_date('lastactivitydate') }} as last_activity_date,
        {{ salesforce_datetime('createddate') }} as created_at,
        {{ salesforce_datetime('systemmodstamp') }} as system_modstamp,
        _loaded_at as _loaded_at
    from source
)

select * from renamed
